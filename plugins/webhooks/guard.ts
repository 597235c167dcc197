import {
  type AddressRule,
  classify,
  inNetwork,
  type Network,
  parseAddress,
  parseNetwork,
  RULE_DESCRIPTIONS,
} from './addresses.ts';

/** Resolves a hostname to its addresses (node:dns by default; tests inject their own). */
export type Resolver = (hostname: string) => Promise<string[]>;

export type UrlRule = AddressRule | 'scheme' | 'https-only' | 'credentials' | 'unresolvable';

/** A URL the guard refuses: `rule` names why, the message says how to allow it when that is possible. */
export class UrlRefused extends Error {
  constructor(
    readonly rule: UrlRule,
    message: string,
    readonly address?: string,
  ) {
    super(message);
    this.name = 'UrlRefused';
  }
}

export interface GuardOptions {
  httpsOnly: boolean;
  allowNetworks: readonly string[];
  /** Where the allowlist lives in the config, for error messages. */
  optionPath: string;
}

const VERDICT_CACHE = 1024;
/** IP-literal URLs whose check passed, kept: their verdict depends on nothing else. */
const LITERALS_KEPT = 1024;

// node:dns loads with the first lookup, not with every start.
const systemResolver: Resolver = async (hostname) => {
  const { lookup } = await import('node:dns/promises');
  const found = await lookup(hostname, { all: true, verbatim: true });
  // IPv4 first, like most clients: a receiver listening on 127.0.0.1 only is reached through `localhost`.
  return found.sort((a, b) => a.family - b.family).map((a) => a.address);
};

/**
 * The SSRF guard. It checks a URL's form when an endpoint is registered, and at every
 * attempt resolves the host and checks every address it resolves to; the attempt then
 * connects to the address that was checked (`RuntimeAdapter.fetchPinned`), so a DNS
 * answer that changes between the check and the connection cannot reach a refused one.
 */
export class AddressGuard {
  private readonly allow: Network[];
  private readonly verdicts = new Map<string, Verdict>();
  /** URL → its address, for IP-literal URLs that passed (no DNS, so the same answer every time). */
  private readonly literals = new Map<string, string>();

  constructor(
    private readonly options: GuardOptions,
    private readonly resolver: Resolver = systemResolver,
  ) {
    this.allow = options.allowNetworks.map((cidr, i) => {
      try {
        return parseNetwork(cidr);
      } catch (err) {
        throw new Error(`${options.optionPath}[${i}]: ${(err as Error).message}`);
      }
    });
  }

  /** What the rules say of one address (memoized: the answer depends on the address and the options only). */
  private verdict(address: string): Verdict {
    let verdict = this.verdicts.get(address);
    if (verdict === undefined) {
      const value = parseAddress(address);
      verdict = value === null ? 'unparsable' : this.allow.some((n) => inNetwork(value, n)) ? null : classify(value);
      if (this.verdicts.size >= VERDICT_CACHE) this.verdicts.clear();
      this.verdicts.set(address, verdict);
    }
    return verdict;
  }

  /** Checks the URL's scheme and form (no I/O); throws UrlRefused. */
  checkForm(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UrlRefused('scheme', `"${raw}" is not an absolute URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new UrlRefused('scheme', `${raw} is refused: only http:// and https:// URLs can receive webhooks`);
    }
    if (this.options.httpsOnly && url.protocol !== 'https:') {
      throw new UrlRefused(
        'https-only',
        `${raw} is refused: only https:// URLs are allowed (httpsOnly is on); use https, or set ${this.options.optionPath.replace(/allowNetworks$/, 'httpsOnly')} to false`,
      );
    }
    if (url.username || url.password) {
      throw new UrlRefused(
        'credentials',
        `${raw} is refused: credentials in the URL would be sent to every redirect target and logged; put an Authorization header in the endpoint's headers instead`,
      );
    }
    return url;
  }

  /**
   * Checks the URL fully: form, then every address its host resolves to. Returns the
   * address to connect to: at once for an IP-literal host, after a DNS lookup otherwise.
   * Throws (or rejects with) UrlRefused.
   */
  check(raw: string): string | Promise<string> {
    const known = this.literals.get(raw);
    if (known !== undefined) return known;
    const url = this.checkForm(raw);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // The URL parser wrote an IP literal in its one canonical form: parseable here, or a name.
    if (parseAddress(host) !== null) {
      this.checkAddress(raw, host, host);
      if (this.literals.size >= LITERALS_KEPT) this.literals.clear();
      this.literals.set(raw, host);
      return host;
    }
    return this.resolve(raw, host);
  }

  private async resolve(raw: string, host: string): Promise<string> {
    let addresses: string[];
    try {
      addresses = await this.resolver(host);
    } catch (err) {
      throw new UrlRefused(
        'unresolvable',
        `${raw} is refused: its host "${host}" does not resolve (${errorCode(err)})`,
      );
    }
    if (!addresses.length) throw new UrlRefused('unresolvable', `${raw} is refused: "${host}" has no address`);
    for (const address of addresses) this.checkAddress(raw, host, address);
    return addresses[0];
  }

  private checkAddress(raw: string, host: string, address: string): void {
    const refused = this.verdict(address);
    if (refused === 'unparsable') {
      throw new UrlRefused('unresolvable', `${raw} is refused: "${address}" is not an IP address`);
    }
    if (!refused) return;
    const where = host === address ? address : `${host} resolves to ${address}, which`;
    throw new UrlRefused(
      refused.rule,
      `${raw} is refused (rule: ${refused.rule}): ${where} is ${RULE_DESCRIPTIONS[refused.rule]} (${refused.network}). ` +
        `Webhooks do not reach internal networks, to prevent server-side request forgery; to allow this network, add "${refused.network}" to ${this.options.optionPath}`,
      address,
    );
  }
}

type Verdict = ReturnType<typeof classify> | 'unparsable';

function errorCode(err: unknown): string {
  return (err as { code?: string }).code ?? (err as Error).message ?? String(err);
}
