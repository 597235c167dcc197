// The Relaykit dashboard: plain browser JavaScript, no dependencies. Every view reads
// the hub's own HTTP APIs with the admin token, kept in this tab's sessionStorage only.

(() => {
  const KEY = 'relaykit.adminToken';
  const base = new URL('.', document.baseURI).pathname; // the hub's root, as the page was served
  const $ = (sel) => document.querySelector(sel);
  let stopView = () => {};

  /** h('td', { class: 'x' }, 'text', child) → an element. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
    return el;
  }
  const token = () => sessionStorage.getItem(KEY);

  /** A hub API call; throws an Error carrying the hub's error message and status. */
  async function api(path, init = {}) {
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

  function table(columns, rows) {
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
  const section = (title, ...body) => h('section', {}, h('h2', {}, title), ...body);
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
  const json = (v) => h('pre', {}, JSON.stringify(v, null, 1));

  /** Names of the running plugins, read once per view. */
  let runningPlugins = Promise.resolve(new Set());
  /** Throws a 404-like error for a plugin that is not running, so its routes are never asked. */
  async function need(name) {
    if (!(await runningPlugins).has(name)) {
      const err = new Error(`${name} is not running`);
      err.status = 404;
      throw err;
    }
  }

  /** A plugin's view when the plugin is off (or its routes answer 404): the view says so. */
  function pluginOff(name, err) {
    if (err.status !== 404) throw err;
    return h(
      'p',
      { class: 'notice', 'data-off': name },
      `The ${name} plugin is not running. Enable it on the Plugins view to see this.`,
    );
  }

  /** A paged list: `load(after)` → { items, next }; renders rows with a "Next page" button. */
  function pager(columns, load) {
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
  function tail(channels, onEvent) {
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

  const views = {
    async overview() {
      const [health, plugins] = await Promise.all([
        need('health')
          .then(() => api('/health/status'))
          .catch((e) => e),
        api('/admin/plugins'),
      ]);
      const running = plugins.filter((p) => p.state === 'running').length;
      return [
        section(
          'Hub',
          h(
            'div',
            { class: 'grid' },
            h(
              'div',
              {},
              h('div', { class: 'muted' }, 'Status'),
              h(
                'strong',
                { class: health.status, 'data-status': health.status || 'unknown' },
                health.status || 'health plugin off',
              ),
            ),
            h('div', {}, h('div', { class: 'muted' }, 'Version'), health.releaseId || '—'),
            h('div', {}, h('div', { class: 'muted' }, 'Plugins running'), `${running} of ${plugins.length}`),
            h('div', {}, h('div', { class: 'muted' }, 'Notes'), (health.notes || []).join('; ') || '—'),
          ),
        ),
        health instanceof Error
          ? section('Health checks', pluginOff('health', health))
          : section(
              'Health checks',
              table(
                [
                  ['Check', (r) => r[0]],
                  ['Status', (r) => h('span', { class: r[1].status }, r[1].status)],
                  ['Value', (r) => `${r[1].observedValue ?? ''} ${r[1].observedUnit ?? ''}`],
                  ['Readiness', (r) => (r[1].affectsReadiness ? 'yes' : 'no')],
                ],
                Object.entries(health.checks || {}).map(([k, v]) => [k, v[0]]),
              ),
            ),
      ];
    },

    async plugins() {
      const list = await api('/admin/plugins');
      const out = h('p', { class: 'error', role: 'alert', id: 'plugin-error' });
      const apply = async (name, patch) => {
        out.textContent = '';
        try {
          await api(`/admin/plugins/${name}`, { method: 'PATCH', body: JSON.stringify(patch) });
          route();
        } catch (err) {
          out.textContent = `${name}: ${err.message}`;
        }
      };
      return section(
        'Plugins',
        out,
        table(
          [
            ['Plugin', (p) => h('strong', {}, p.name)],
            ['State', (p) => h('span', { class: p.state, 'data-state': p.state }, p.state)],
            ['Error', (p) => h('span', { class: 'error' }, p.error || '')],
            [
              'Options',
              (p) => {
                const area = h('textarea', { 'aria-label': `${p.name} options` }, JSON.stringify(p.options, null, 1));
                return h(
                  'details',
                  {},
                  h('summary', {}, 'options'),
                  area,
                  h(
                    'button',
                    {
                      type: 'button',
                      onclick: () => {
                        let v;
                        try {
                          v = JSON.parse(area.value);
                        } catch {
                          out.textContent = `${p.name}: the options are not JSON`;
                          return;
                        }
                        apply(p.name, { options: v });
                      },
                    },
                    'Apply',
                  ),
                );
              },
            ],
            [
              '',
              (p) =>
                h(
                  'button',
                  { type: 'button', 'data-toggle': p.name, onclick: () => apply(p.name, { enabled: !p.enabled }) },
                  p.enabled ? 'Disable' : 'Enable',
                ),
            ],
          ],
          list,
        ),
      );
    },

    async traffic() {
      let history;
      try {
        await need('metrics');
        history = await api('/metrics/json/history?limit=120');
      } catch (err) {
        return section('Traffic', pluginOff('metrics', err));
      }
      const snaps = history.snapshots;
      if (snaps.length < 2)
        return section(
          'Traffic',
          h(
            'p',
            { class: 'muted', 'data-empty': true },
            'Waiting for metric snapshots (one every snapshots.intervalMs)…',
          ),
        );
      const sum = (snap, name, field) =>
        (snap.metrics.find((m) => m.name === name)?.series || []).reduce((n, s) => n + (s[field] ?? 0), 0);
      const max = (snap, name, field) =>
        Math.max(0, ...(snap.metrics.find((m) => m.name === name)?.series || []).map((s) => s[field] ?? 0));
      const rate = (name, field) =>
        snaps
          .slice(1)
          .map(
            (s, i) =>
              Math.max(0, sum(s, name, field) - sum(snaps[i], name, field)) /
              ((Date.parse(s.at) - Date.parse(snaps[i].at)) / 1000 || 1),
          );
      const charts = [
        ['Requests/s', rate('relaykit_http_request_duration_seconds', 'count')],
        ['Messages/s', rate('relaykit_messages_published_total', 'value')],
        ['p99 latency (ms)', snaps.map((s) => max(s, 'relaykit_http_request_duration_seconds', 'p99') * 1000)],
        [
          'Connections',
          snaps.map(
            (s) =>
              sum(s, 'relaykit_ws_connections', 'value') +
              sum(s, 'relaykit_sse_streams_opened_total', 'value') -
              sum(s, 'relaykit_sse_streams_closed_total', 'value'),
          ),
        ],
      ];
      return section(
        'Traffic',
        h(
          'div',
          { class: 'grid' },
          charts.map(([title, values]) => {
            const top = Math.max(1e-9, ...values);
            const points = values
              .map((v, i) => `${(i / Math.max(1, values.length - 1)) * 100},${38 - (v / top) * 36}`)
              .join(' ');
            const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
            svg.setAttribute('viewBox', '0 0 100 40');
            svg.setAttribute('preserveAspectRatio', 'none');
            const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
            line.setAttribute('points', points);
            svg.append(line);
            return h(
              'div',
              { class: 'chart', 'data-chart': title },
              h('div', {}, `${title}: `, h('strong', {}, (values.at(-1) ?? 0).toFixed(2))),
              svg,
            );
          }),
        ),
      );
    },

    async realtime() {
      const parts = [];
      try {
        await need('ws-channels');
        const [ws, channels] = await Promise.all([api('/ws/status'), api('/ws/channels')]);
        parts.push(
          section(
            'WebSocket',
            json(ws),
            h('h2', {}, 'Channels'),
            table(
              [
                ['Channel', (c) => c.channel ?? c.name],
                ['Subscribers', (c) => c.subscribers ?? c.count ?? ''],
              ],
              (channels.channels || []).slice(0, 200),
            ),
          ),
        );
      } catch (err) {
        parts.push(section('WebSocket', pluginOff('ws-channels', err)));
      }
      try {
        await need('sse');
        const [stats, clients] = await Promise.all([api('/stream/stats'), api('/stream/clients')]);
        parts.push(
          section(
            'Server-Sent Events',
            json(stats),
            table(
              [
                ['Client', (c) => c.client_id],
                ['Streams', (c) => (c.streams || []).length],
                ['Channels', (c) => (c.streams || []).flatMap((s) => s.channels).join(', ')],
              ],
              (clients.clients || []).slice(0, 200),
            ),
          ),
        );
      } catch (err) {
        parts.push(section('Server-Sent Events', pluginOff('sse', err)));
      }
      return parts;
    },

    async messages() {
      const filters = {
        channel: h('input', { placeholder: 'channel', 'aria-label': 'channel' }),
        type: h('input', { placeholder: 'type', 'aria-label': 'type' }),
        client: h('input', { placeholder: 'client', 'aria-label': 'client' }),
      };
      const list = pager(
        [
          ['Id', (m) => m.id],
          ['Channel', (m) => m.channel ?? `→ ${m.to}`],
          ['Type', (m) => m.type],
          ['Payload', (m) => json(m.payload)],
          ['Created', (m) => when(m.createdAt)],
        ],
        async (after) => {
          const q = new URLSearchParams({ limit: '50' });
          for (const [k, el] of Object.entries(filters)) if (el.value) q.set(k, el.value);
          if (after) q.set('after', after);
          const page = await api(`/messages?${q}`);
          return { items: page.messages, next: page.nextCursor };
        },
      );
      const pub = {
        channel: h('input', { id: 'pub-channel', value: 'dashboard', 'aria-label': 'publish channel' }),
        type: h('input', { id: 'pub-type', value: 'note', 'aria-label': 'publish type' }),
        payload: h('input', { id: 'pub-payload', value: '{"text":"hello"}', 'aria-label': 'publish payload' }),
      };
      const result = h('span', { role: 'status' });
      const publish = async (e) => {
        e.preventDefault();
        try {
          const m = await api('/messages', {
            method: 'POST',
            body: JSON.stringify({
              channel: pub.channel.value,
              type: pub.type.value,
              payload: JSON.parse(pub.payload.value),
            }),
          });
          result.textContent = `stored as ${m.id}`;
        } catch (err) {
          result.textContent = err.message;
          result.className = 'error';
        }
      };
      const tailChannel = h('input', { id: 'tail-channel', value: '*', 'aria-label': 'tail channels' });
      const lines = h('ol', { id: 'tail', reversed: true });
      let stop = () => {};
      const follow = () => {
        stop();
        lines.replaceChildren();
        stop = tail(tailChannel.value, (ev) =>
          lines.prepend(
            h(
              'li',
              { 'data-id': ev.id },
              ev.error
                ? h('span', { class: 'error' }, ev.error)
                : `${ev.id} ${ev.channel ?? ''} ${ev.event} ${JSON.stringify(ev.data)}`,
            ),
          ),
        );
      };
      stopView = () => stop();
      follow();
      await list.show();
      return [
        section(
          'Publish a test message',
          h(
            'form',
            { class: 'row', onsubmit: publish },
            pub.channel,
            pub.type,
            pub.payload,
            h('button', { class: 'primary', type: 'submit' }, 'Publish'),
            result,
          ),
        ),
        section(
          'Live tail',
          h(
            'div',
            { class: 'row' },
            tailChannel,
            h('button', { type: 'button', onclick: follow }, 'Follow'),
            h('span', { class: 'muted' }, "* is every channel; $hub:* the hub's own events"),
          ),
          lines,
        ),
        section(
          'Browse',
          h(
            'form',
            {
              class: 'row',
              onsubmit: (e) => {
                e.preventDefault();
                list.show();
              },
            },
            Object.values(filters),
            h('button', { type: 'submit' }, 'Search'),
          ),
          list.box,
        ),
      ];
    },

    async webhooks() {
      let endpoints;
      try {
        await need('webhooks');
        endpoints = (await api('/webhooks/endpoints')).endpoints;
      } catch (err) {
        return section('Webhooks', pluginOff('webhooks', err));
      }
      const rank = (e) => (!e.enabled ? 0 : e.failingSince ? 1 : 2);
      endpoints.sort((a, b) => rank(a) - rank(b));
      const out = h('p', { role: 'status', id: 'webhook-status' });
      const act = async (path, label) => {
        try {
          await api(path, { method: 'POST', body: '{}' });
          out.textContent = `${label}: done`;
          await deliveries.show();
        } catch (err) {
          out.textContent = `${label}: ${err.message}`;
        }
      };
      const status = h(
        'select',
        { 'aria-label': 'delivery status' },
        ['', 'pending', 'delivered', 'failed'].map((s) => h('option', { value: s }, s || 'any status')),
      );
      const deliveries = pager(
        [
          ['Id', (d) => d.id],
          ['Endpoint', (d) => d.endpointId],
          ['Event', (d) => d.eventType ?? d.type ?? ''],
          ['Status', (d) => h('span', { class: d.status, 'data-delivery-status': d.status }, d.status)],
          ['Last response', (d) => `${d.lastStatus ?? '—'} ${d.lastError ?? ''}`],
          ['Attempts', (d) => d.attempts ?? ''],
          [
            '',
            (d) =>
              h(
                'button',
                {
                  type: 'button',
                  'data-retry': d.id,
                  onclick: () => act(`/webhooks/deliveries/${d.id}/retry`, `retry ${d.id}`),
                },
                'Retry',
              ),
          ],
        ],
        async (after) => {
          const q = new URLSearchParams({ limit: '50' });
          if (status.value) q.set('status', status.value);
          if (after) q.set('after', after);
          const page = await api(`/webhooks/deliveries?${q}`);
          return { items: page.deliveries, next: page.nextCursor };
        },
      );
      status.addEventListener('change', () => deliveries.show());
      await deliveries.show();
      return [
        section(
          'Endpoints',
          out,
          table(
            [
              ['URL', (e) => h('code', {}, e.url)],
              [
                'State',
                (e) =>
                  e.enabled
                    ? e.failingSince
                      ? `failing since ${when(e.failingSince)}`
                      : 'enabled'
                    : `disabled ${e.disabledReason ?? ''}`,
              ],
              [
                '',
                (e) =>
                  h(
                    'span',
                    { class: 'row' },
                    e.enabled
                      ? null
                      : h(
                          'button',
                          {
                            type: 'button',
                            onclick: async () => {
                              await api(`/webhooks/endpoints/${e.id}`, {
                                method: 'PATCH',
                                body: JSON.stringify({ enabled: true }),
                              });
                              route();
                            },
                          },
                          'Enable',
                        ),
                    h(
                      'button',
                      {
                        type: 'button',
                        onclick: () => act(`/webhooks/endpoints/${e.id}/rotate-secret`, 'rotate secret'),
                      },
                      'Rotate secret',
                    ),
                    h(
                      'button',
                      { type: 'button', onclick: () => act(`/webhooks/endpoints/${e.id}/recover`, 'recover') },
                      'Recover failed',
                    ),
                  ),
              ],
            ],
            endpoints,
          ),
        ),
        section('Deliveries', h('div', { class: 'row' }, status), deliveries.box),
      ];
    },

    async retention() {
      let policies, stats;
      try {
        await need('ttl');
        [policies, stats] = await Promise.all([api('/ttl/policies'), api('/ttl/stats')]);
      } catch (err) {
        return section('Retention', pluginOff('ttl', err));
      }
      const archive = pager(
        [
          ['Id', (m) => m.id],
          ['Channel', (m) => m.channel ?? ''],
          ['Type', (m) => m.type],
          ['Expired', (m) => when(m.expiresAt ?? m.archivedAt)],
        ],
        async (after) => {
          const page = await api(`/ttl/archive?limit=50${after ? `&after=${after}` : ''}`);
          return { items: page.messages, next: page.nextCursor };
        },
      );
      await archive.show();
      return [
        section(
          'Sweeper',
          h(
            'div',
            { class: 'grid' },
            ['lagSeconds', 'pendingExpiry', 'expired', 'archived', 'archiveRows'].map((k) =>
              h('div', {}, h('div', { class: 'muted' }, k), h('strong', { 'data-stat': k }, stats[k])),
            ),
          ),
          json(stats.sweeper),
        ),
        section(
          'Policies',
          table(
            [
              ['Name', (p) => p.name],
              ['Kind', (p) => p.kind],
              ['Seconds', (p) => p.seconds ?? '—'],
              ['Description', (p) => p.description ?? ''],
            ],
            policies.policies,
          ),
        ),
        section('Archive', archive.box),
      ];
    },
  };

  async function route() {
    stopView();
    stopView = () => {};
    const name = location.hash.slice(1) in views ? location.hash.slice(1) : 'overview';
    for (const a of document.querySelectorAll('nav a')) {
      if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    runningPlugins = api('/admin/plugins').then(
      (list) => new Set(list.filter((p) => p.state === 'running').map((p) => p.name)),
    );
    const main = $('#main');
    main.dataset.view = name;
    main.dataset.ready = 'false';
    try {
      const content = await views[name]();
      main.replaceChildren(...[content].flat());
    } catch (err) {
      if (err.status === 401) return signOut('The token was refused.');
      main.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.message));
    }
    main.dataset.ready = 'true';
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    stopView();
    $('#app').hidden = true;
    $('#login').hidden = false;
    $('#login-error').textContent = message || '';
  }

  async function signIn(candidate) {
    const res = await fetch(`${base}admin/plugins`, { headers: { authorization: `Bearer ${candidate}` } });
    if (!res.ok)
      return signOut(
        res.status === 403 ? 'The admin API is disabled: set auth.adminToken.' : 'That token was refused.',
      );
    sessionStorage.setItem(KEY, candidate);
    $('#login').hidden = true;
    $('#app').hidden = false;
    route();
  }

  $('#nav').append(
    ...Object.keys(views).map((v) => h('a', { href: `#${v}`, 'data-view': v }, v[0].toUpperCase() + v.slice(1))),
  );
  $('#login').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn($('#token').value);
    $('#token').value = '';
  });
  $('#logout').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', route);
  if (token()) signIn(token());
  else signOut();
})();
