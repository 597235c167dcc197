// The webhooks view: endpoints, deliveries, their attempts; retry and recover.
import { api, h, need, pager, pluginOff, section, state, table, when } from './lib.js';

export async function webhooks() {
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
      attempts.replaceChildren();
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
  const endpoint = h(
    'select',
    { 'aria-label': 'delivery endpoint', id: 'delivery-endpoint' },
    h('option', { value: '' }, 'every endpoint'),
    endpoints.map((e) => h('option', { value: e.id }, e.url)),
  );
  const attempts = h('div', { id: 'attempts' });
  const showAttempts = async (d) => {
    const list = (await api(`/webhooks/deliveries/${d.id}/attempts`)).attempts;
    attempts.replaceChildren(
      h('h3', {}, `Attempts of delivery ${d.id} (${d.eventType})`),
      table(
        [
          ['#', (a) => a.attempt],
          ['Started', (a) => when(a.startedAt)],
          ['Outcome', (a) => h('span', { 'data-attempt-outcome': a.outcome }, a.outcome)],
          ['HTTP status', (a) => h('span', { 'data-attempt-status': a.status ?? '' }, a.status ?? '—')],
          ['Latency', (a) => `${a.durationMs} ms`],
          ['Error or response', (a) => a.error ?? a.responseExcerpt ?? ''],
        ],
        list,
      ),
      h(
        'p',
        { class: 'muted' },
        d.status === 'pending' && d.nextAttemptAt ? `Next retry ${when(d.nextAttemptAt)}` : '',
      ),
    );
  };
  const deliveries = pager(
    [
      ['Id', (d) => d.id],
      ['Endpoint', (d) => d.endpointId],
      ['Event', (d) => d.eventType ?? d.type ?? ''],
      ['Status', (d) => h('span', { class: d.status, 'data-delivery-status': d.status }, d.status)],
      ['Last response', (d) => `${d.lastStatus ?? '—'} ${d.lastError ?? ''}`],
      [
        'Attempts',
        (d) =>
          h(
            'button',
            { type: 'button', class: 'link', 'data-attempts': d.id, onclick: () => showAttempts(d) },
            String(d.attempts ?? 0),
          ),
      ],
      ['Next retry', (d) => (d.status === 'pending' ? when(d.nextAttemptAt) : '—')],
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
            d.status === 'failed' ? 'Replay' : 'Retry',
          ),
      ],
    ],
    async (after) => {
      const q = new URLSearchParams({ limit: '50' });
      if (status.value) q.set('status', status.value);
      if (endpoint.value) q.set('endpoint', endpoint.value);
      if (after) q.set('after', after);
      const page = await api(`/webhooks/deliveries?${q}`);
      return { items: page.deliveries, next: page.nextCursor };
    },
  );
  status.addEventListener('change', () => deliveries.show());
  endpoint.addEventListener('change', () => deliveries.show());
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
                          state.route();
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
    section('Deliveries', h('div', { class: 'row' }, endpoint, status), deliveries.box, attempts),
  ];
}
