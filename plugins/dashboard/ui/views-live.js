// The live views: realtime connections and messages.
import { api, h, json, need, pager, pluginOff, section, state, table, tail, when } from './lib.js';

/** Closes every connection of a client on one transport, through its plugin's admin route. */
async function disconnect(path, clientId, out) {
  try {
    const res = await api(`${path}/${encodeURIComponent(clientId)}`, { method: 'DELETE' });
    out.textContent = `${clientId}: ${res.closed} connection${res.closed === 1 ? '' : 's'} closed`;
  } catch (err) {
    out.textContent = `${clientId}: ${err.message}`;
  }
}

const count = (label, key, value, warn) =>
  h(
    'div',
    {},
    h('div', { class: 'muted' }, label),
    h('strong', { 'data-count': key, class: warn && value > 0 ? 'warn' : undefined }, value),
  );

export async function realtime() {
  const out = h('p', { role: 'status', id: 'realtime-status' });
  const parts = [out];
  try {
    await need('ws-channels');
    const ws = await api('/ws/status');
    const presence = h('div', { id: 'presence' });
    const showPresence = async (name) => {
      const detail = await api(`/ws/channels/${encodeURIComponent(name)}`);
      presence.replaceChildren(
        h('h3', {}, `Presence in ${name}: ${detail.subscribers} connection${detail.subscribers === 1 ? '' : 's'}`),
        table(
          [
            ['Client', (c) => h('code', {}, c)],
            [
              '',
              (c) =>
                h(
                  'button',
                  {
                    type: 'button',
                    'data-disconnect-ws': c,
                    onclick: async () => {
                      await disconnect('/ws/clients', c, out);
                      await showPresence(name);
                    },
                  },
                  'Disconnect',
                ),
            ],
          ],
          detail.clients,
        ),
      );
    };
    const prefix = h('input', { placeholder: 'channel prefix', 'aria-label': 'channel prefix', id: 'channel-prefix' });
    const channels = pager(
      [
        [
          'Channel',
          (c) =>
            h(
              'button',
              { type: 'button', class: 'link', 'data-channel': c.name, onclick: () => showPresence(c.name) },
              c.name,
            ),
        ],
        ['Subscribers', (c) => c.subscribers],
      ],
      async (after) => {
        const q = new URLSearchParams({ limit: '50' });
        if (prefix.value) q.set('prefix', prefix.value);
        if (after) q.set('after', after);
        const page = await api(`/ws/channels?${q}`);
        return { items: page.channels, next: page.nextCursor };
      },
    );
    await channels.show();
    parts.push(
      section(
        'WebSocket',
        h(
          'div',
          { class: 'grid' },
          count('Connections', 'ws-connections', ws.connections),
          count('Clients', 'ws-clients', ws.clients),
          count('Channels', 'ws-channels', ws.channels),
          count('Catching up', 'ws-catching-up', ws.catchingUp),
          count('Slow-consumer closes', 'ws-slow', ws.slowConsumerCloses, true),
        ),
        h('h3', {}, 'Channels (pick one for its presence)'),
        h(
          'form',
          {
            class: 'row',
            onsubmit: (e) => {
              e.preventDefault();
              channels.show();
            },
          },
          prefix,
          h('button', { type: 'submit' }, 'Filter'),
        ),
        channels.box,
        presence,
      ),
    );
  } catch (err) {
    parts.push(section('WebSocket', pluginOff('ws-channels', err)));
  }
  try {
    await need('sse');
    const [stats, clients] = await Promise.all([api('/stream/stats'), api('/stream/clients?limit=200')]);
    parts.push(
      section(
        'Server-Sent Events',
        h(
          'div',
          { class: 'grid' },
          count('Streams', 'sse-streams', stats.streams),
          count('Clients', 'sse-clients', stats.clients),
          count('Channels', 'sse-channels', stats.channels),
          count('Queued bytes', 'sse-queued', stats.queued_bytes),
          count('Slow-consumer closes', 'sse-slow', stats.slow_consumer_closes, true),
        ),
        h('p', { class: 'muted' }, `Showing ${clients.clients.length} of ${clients.total} clients`),
        table(
          [
            ['Client', (c) => h('code', {}, c.client_id)],
            ['Streams', (c) => (c.streams || []).length],
            ['Channels', (c) => (c.streams || []).flatMap((s) => s.channels).join(', ')],
            [
              '',
              (c) =>
                h(
                  'button',
                  {
                    type: 'button',
                    'data-disconnect-sse': c.client_id,
                    onclick: async () => {
                      await disconnect('/stream/clients', c.client_id, out);
                      state.route();
                    },
                  },
                  'Disconnect',
                ),
            ],
          ],
          clients.clients,
        ),
      ),
    );
  } catch (err) {
    parts.push(section('Server-Sent Events', pluginOff('sse', err)));
  }
  return parts;
}

export async function messages() {
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
  state.stopView = () => stop();
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
}
