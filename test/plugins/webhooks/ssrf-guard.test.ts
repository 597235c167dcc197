import { afterEach, describe, expect, test } from 'bun:test';
import { classify, parseAddress, parseNetwork } from '../../../plugins/webhooks/addresses.ts';
import { AddressGuard, UrlRefused } from '../../../plugins/webhooks/guard.ts';
import { waitFor } from '../../helpers/hub.ts';
import { type Receiver, received, settle, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

let hub: WebhookHub;
const receivers: Receiver[] = [];
afterEach(async () => {
  await hub?.stop();
  for (const r of receivers.splice(0)) await r.stop();
});

const ruleOf = (address: string) => {
  const value = parseAddress(address);
  if (value === null) throw new Error(`unparsable ${address}`);
  return classify(value)?.rule ?? 'public';
};

const guard = (resolve: (host: string) => Promise<string[]>, allowNetworks: string[] = []) =>
  new AddressGuard({ httpsOnly: false, allowNetworks, optionPath: 'plugins.webhooks.security.allowNetworks' }, resolve);

async function refusal(g: AddressGuard, url: string): Promise<UrlRefused> {
  try {
    await g.check(url);
  } catch (err) {
    if (err instanceof UrlRefused) return err;
    throw err;
  }
  throw new Error(`${url} was allowed`);
}

describe('SSRF guard', () => {
  test('refuses every internal IPv4 range by its rule', () => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'],
      ['127.255.255.254', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.10.20', 'link-local'],
      ['169.254.169.254', 'metadata'],
      ['168.63.129.16', 'metadata'],
      ['100.100.100.200', 'metadata'],
      ['100.64.0.1', 'cgnat'],
      ['100.127.255.255', 'cgnat'],
      ['198.18.0.1', 'benchmark'],
      ['198.19.255.255', 'benchmark'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['0.0.0.0', 'unspecified'],
      ['192.0.2.1', 'documentation'],
      ['240.0.0.1', 'reserved'],
      ['255.255.255.255', 'reserved'],
      ['8.8.8.8', 'public'],
      ['172.32.0.1', 'public'],
      ['100.128.0.1', 'public'],
      ['93.184.216.34', 'public'],
    ];
    expect(cases.map(([a]) => [a, ruleOf(a)])).toEqual(cases);
  });

  test('refuses IPv6 ranges and IPv4 addresses hidden in IPv6 forms (mapped, NAT64, 6to4, compatible)', () => {
    const cases: Array<[string, string]> = [
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'link-local'],
      ['fc00::1', 'private'],
      ['fd12:3456::1', 'private'],
      ['fd00:ec2::254', 'metadata'],
      ['ff02::1', 'multicast'],
      ['2001:db8::1', 'documentation'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:10.0.0.1', 'private'],
      ['::ffff:169.254.169.254', 'metadata'],
      ['64:ff9b::a9fe:a9fe', 'metadata'],
      ['64:ff9b::0a00:0001', 'private'],
      ['2002:7f00:0001::', 'loopback'],
      ['2002:c0a8:0101::1', 'private'],
      ['::127.0.0.1', 'loopback'],
      ['[::1]', 'loopback'],
      ['2606:4700:4700::1111', 'public'],
      ['::ffff:8.8.8.8', 'public'],
      ['64:ff9b::808:808', 'public'],
    ];
    expect(cases.map(([a]) => [a, ruleOf(a)])).toEqual(cases);
  });

  test('CIDRs are parsed strictly and an allowlist lets their addresses through', async () => {
    expect(parseNetwork('10.0.0.0/8').cidr).toBe('10.0.0.0/8');
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'fd00::/129', 'localhost', '1.2.3.4/8/9', '::1/x']) {
      expect(() => parseNetwork(bad)).toThrow('is not a CIDR');
    }
    expect(() => guard(async () => [], ['127.0.0.0/8', 'nope'])).toThrow(
      'plugins.webhooks.security.allowNetworks[1]: "nope" is not a CIDR',
    );
    const local = guard(async () => ['127.0.0.1'], ['127.0.0.0/8']);
    expect(await local.check('http://127.0.0.1:9/')).toBe('127.0.0.1');
    expect(await local.check('http://hooks.example/')).toBe('127.0.0.1');
    expect((await refusal(local, 'http://[::1]:9/')).rule).toBe('loopback');
  });

  test('a hostname resolving to a private address is refused, naming the address, the rule and the allowlist', async () => {
    const g = guard(async () => ['10.20.30.40']);
    const err = await refusal(g, 'https://hooks.example.com/in');
    expect(err.rule).toBe('private');
    expect(err.address).toBe('10.20.30.40');
    expect(err.message).toContain('hooks.example.com resolves to 10.20.30.40');
    expect(err.message).toContain('"10.0.0.0/8" to plugins.webhooks.security.allowNetworks');
    // One internal answer among public ones is enough to refuse (the connection could be sent to it).
    expect(
      (
        await refusal(
          guard(async () => ['93.184.216.34', '169.254.169.254']),
          'http://x.example/',
        )
      ).rule,
    ).toBe('metadata');
    expect(
      (
        await refusal(
          guard(async () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))),
          'http://nx.example/',
        )
      ).message,
    ).toContain('ENOTFOUND');
  });

  test('registering a refused URL fails with 422, the rule and how to allow it', async () => {
    hub = await startWebhookHub({ webhooks: { security: { allowNetworks: [] } } });
    const refused = async (url: string) => {
      const res = await hub.admin('/webhooks/endpoints', { method: 'POST', json: { url, events: ['*'] } });
      expect(res.status).toBe(422);
      return (await res.json()).error as { code: string; message: string; details: { rule: string } };
    };
    const loopback = await refused('http://127.0.0.1:8080/hook');
    expect(loopback.code).toBe('RELAYKIT_ERR_WEBHOOK_URL_REFUSED');
    expect(loopback.details.rule).toBe('loopback');
    expect(loopback.message).toContain('add "127.0.0.0/8" to plugins.webhooks.security.allowNetworks');
    expect((await refused('http://localhost:8080/hook')).message).toContain('localhost resolves to');
    expect((await refused('http://[::ffff:a9fe:a9fe]/latest/meta-data')).details.rule).toBe('metadata');
    expect((await refused('http://169.254.169.254/latest/meta-data')).details.rule).toBe('metadata');
    expect((await refused('http://2130706433/')).details.rule).toBe('loopback'); // 127.0.0.1 as one number
    expect((await refused('http://0x7f.1/')).details.rule).toBe('loopback');
    expect((await refused('http://user:pw@93.184.216.34/')).details.rule).toBe('credentials');
    expect((await refused('ftp://93.184.216.34/')).details.rule).toBe('scheme');
  });

  test('https-only refuses plain http', async () => {
    hub = await startWebhookHub({ webhooks: { security: { httpsOnly: true } } });
    const res = await hub.admin('/webhooks/endpoints', {
      method: 'POST',
      json: { url: 'http://127.0.0.1:9/', events: ['*'] },
    });
    expect(res.status).toBe(422);
    const { error } = await res.json();
    expect(error.details.rule).toBe('https-only');
    expect(error.message).toContain('plugins.webhooks.security.httpsOnly');
  });

  test('the check runs again at delivery time: an address refused since registration is not contacted', async () => {
    const receiver = startReceiver();
    receivers.push(receiver);
    hub = await startWebhookHub({ webhooks: { delivery: { retrySchedule: [] } } });
    await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    // Reconfigure the plugin without the loopback allowance.
    const patched = await hub.admin('/admin/plugins/webhooks', {
      method: 'PATCH',
      json: { options: { security: { allowNetworks: [] } } },
    });
    expect(patched.status).toBe(200);
    await hub.send({ to: 'agent' });
    await waitFor(async () => (await hub.deliveries('status=failed')).length === 1);
    const [delivery] = await hub.deliveries();
    const { attempts } = await (await hub.admin(`/webhooks/deliveries/${delivery.id}/attempts`)).json();
    expect(attempts[0].outcome).toBe('refused');
    expect(attempts[0].error).toContain('rule: loopback');
    expect(receiver.requests).toHaveLength(0);
  });

  test('a redirect to a refused address is not followed', async () => {
    let internalHits = 0;
    const internal = Bun.serve({
      hostname: '127.0.0.2',
      port: 0,
      fetch: () => {
        internalHits++;
        return new Response('internal');
      },
    });
    const receiver = startReceiver(() => Response.redirect(`http://127.0.0.2:${internal.port}/secret`, 302));
    receivers.push(receiver);
    try {
      hub = await startWebhookHub({
        webhooks: { security: { allowNetworks: ['127.0.0.1/32'] }, delivery: { retrySchedule: [] } },
      });
      await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
      await hub.send({ to: 'agent' });
      await received(receiver, 1);
      await waitFor(async () => (await hub.deliveries('status=failed')).length === 1);
      await settle();
      const [delivery] = await hub.deliveries();
      expect(delivery.lastStatus).toBe(302);
      expect(delivery.lastError).toContain('redirects are not followed');
      expect(internalHits).toBe(0);
    } finally {
      internal.stop(true);
    }
  });
});
