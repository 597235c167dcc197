// Shared helpers of the dashboard's views: elements, the hub's API with the admin token,
// tables, paging and the live tail.

export const KEY = 'relaykit.adminToken';
export const base = new URL('.', document.baseURI).pathname; // the hub's root, as the page was served
export const $ = (sel) => document.querySelector(sel);

/** h('td', { class: 'x' }, 'text', child) → an element. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}
export const token = () => sessionStorage.getItem(KEY);

/** A hub API call; throws an Error carrying the hub's error message and status. */
export async function api(path, init = {}) {
  const headers = {
    authorization: `Bearer ${token()}`,
    ...(init.body ? { 'content-type': 'application/json' } : {}),
  };
  const res = await fetch(base + path.replace(/^\//, ''), { ...init, headers: { ...headers, ...init.headers } });
  if (res.status === 204) return null;
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

export function table(columns, rows) {
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', {}, c[0])),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length
        ? rows.map((r) =>
            h(
              'tr',
              {},
              columns.map((c) => h('td', {}, c[1](r))),
            ),
          )
        : h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'Nothing yet')),
    ),
  );
}
export const section = (title, ...body) => h('section', {}, h('h2', {}, title), ...body);
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
export const json = (v) => h('pre', {}, JSON.stringify(v, null, 1));

/** Shared by the views: the running plugins (read once per view) and how to stop the current view. */
export const state = { runningPlugins: Promise.resolve(new Set()), stopView: () => {}, route: () => {} };
/** Throws a 404-like error for a plugin that is not running, so its routes are never asked. */
export async function need(name) {
  if (!(await state.runningPlugins).has(name)) {
    const err = new Error(`${name} is not running`);
    err.status = 404;
    throw err;
  }
}

/** A plugin's view when the plugin is off (or its routes answer 404): the view says so. */
export function pluginOff(name, err) {
  if (err.status !== 404) throw err;
  return h(
    'p',
    { class: 'notice', 'data-off': name },
    `The ${name} plugin is not running. Enable it on the Plugins view to see this.`,
  );
}

/** A paged list: `load(after)` → { items, next }; renders rows with a "Next page" button. */
export function pager(columns, load) {
  const box = h('div', {});
  let cursors = [null];
  async function show(i) {
    const { items, next } = await load(cursors[i]);
    cursors = cursors.slice(0, i + 1);
    if (next !== null && next !== undefined && items.length) cursors.push(next);
    box.replaceChildren(
      table(columns, items),
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'button', disabled: i === 0, onclick: () => show(i - 1) }, 'Previous'),
        h('span', { class: 'muted' }, `page ${i + 1}`),
        h(
          'button',
          { type: 'button', 'data-next': true, disabled: cursors.length <= i + 1, onclick: () => show(i + 1) },
          'Next page',
        ),
      ),
    );
  }
  return { box, show: () => show(0) };
}

/** Follows /stream/events with the admin token (fetch, so the token stays in a header). */
export function tail(channels, onEvent) {
  const abort = new AbortController();
  (async () => {
    const res = await fetch(`${base}stream/events?channels=${encodeURIComponent(channels)}`, {
      headers: { authorization: `Bearer ${token()}`, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    if (!res.ok) return onEvent({ error: `the stream was refused (${res.status})` });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i = buf.indexOf('\n\n');
      while (i >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        i = buf.indexOf('\n\n');
        const ev = { event: 'message', data: '' };
        for (const line of block.split('\n')) {
          const m = /^(\w+): ?(.*)$/.exec(line);
          if (m) ev[m[1]] = m[1] === 'data' ? ev.data + m[2] : m[2];
        }
        if (ev.data && !ev.event.startsWith('relaykit.')) onEvent(JSON.parse(ev.data));
      }
    }
  })().catch((err) => abort.signal.aborted || onEvent({ error: err.message }));
  return () => abort.abort();
}
