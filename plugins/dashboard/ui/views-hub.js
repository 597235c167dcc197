// The hub views: overview, plugins, traffic, retention.
import { api, h, json, need, pager, pluginOff, section, state, table, when } from './lib.js';

/** Seconds as "3d 4h", "5h 2m", "42s". */
function duration(seconds) {
  const s = Math.floor(seconds);
  const [d, hr, m] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  return d ? `${d}d ${hr}h` : hr ? `${hr}h ${m}m` : m ? `${m}m ${s % 60}s` : `${s}s`;
}

const fact = (label, key, value) =>
  h('div', {}, h('div', { class: 'muted' }, label), h('strong', { 'data-fact': key }, value));

export async function overview() {
  const [status, health, plugins] = await Promise.all([
    api('/admin/status'),
    need('health')
      .then(() => api('/health/status'))
      .catch((e) => e),
    api('/admin/plugins'),
  ]);
  const running = plugins.filter((p) => p.state === 'running').length;
  const reload = status.lastReload;
  return [
    section(
      'Hub',
      h(
        'div',
        { class: 'grid' },
        h(
          'div',
          {},
          h('div', { class: 'muted' }, 'Health'),
          h(
            'strong',
            { class: health.status, 'data-status': health.status || 'unknown' },
            health.status || 'health plugin off',
          ),
        ),
        fact('Version', 'version', status.version),
        fact('Runtime', 'runtime', `${status.runtime.name} ${status.runtime.version}`),
        fact('Node', 'node', status.node),
        fact('Uptime', 'uptime', duration(status.uptimeSeconds)),
        fact('State', 'state', status.state),
        fact('Storage', 'storage', status.storage.dialect),
        fact('Auth', 'auth', status.auth),
        fact('Plugins running', 'plugins', `${running} of ${plugins.length}`),
      ),
    ),
    section(
      'Configuration',
      h(
        'div',
        { class: 'grid' },
        fact('Config file', 'config', status.configFile ?? 'none, defaults'),
        fact('Watched', 'watching', !status.configFile ? '—' : status.watching ? 'yes, changes apply live' : 'no'),
        fact(
          'Last reload',
          'reload',
          reload
            ? `${reload.outcome} (${reload.origin}, ${reload.changes} change${reload.changes === 1 ? '' : 's'}) at ${when(reload.at)}`
            : 'none since start',
        ),
      ),
      reload?.error ? h('p', { class: 'error', 'data-reload-error': true }, reload.error) : null,
    ),
    health instanceof Error
      ? section('Health checks', pluginOff('health', health))
      : section(
          'Health checks',
          h('p', { class: 'muted' }, (health.notes || []).join('; ')),
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
}

export async function plugins() {
  const list = await api('/admin/plugins');
  const out = h('p', { class: 'error', role: 'alert', id: 'plugin-error' });
  const apply = async (name, patch) => {
    out.textContent = '';
    try {
      await api(`/admin/plugins/${name}`, { method: 'PATCH', body: JSON.stringify(patch) });
      state.route();
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
}

export async function traffic() {
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
      h('p', { class: 'muted', 'data-empty': true }, 'Waiting for metric snapshots (one every snapshots.intervalMs)…'),
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
}

export async function retention() {
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
}
