/**
 * IP addresses and networks as 128-bit integers (IPv4 as IPv4-mapped IPv6), and the
 * address ranges webhooks refuse by default. Pure functions, no I/O.
 */

/** The rule that refused an address, named in errors. */
export type AddressRule =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'benchmark'
  | 'multicast'
  | 'metadata'
  | 'unspecified'
  | 'documentation'
  | 'reserved';

/** How each rule reads in an error message. */
export const RULE_DESCRIPTIONS: Record<AddressRule, string> = {
  loopback: 'a loopback address',
  private: 'a private-network address',
  'link-local': 'a link-local address',
  cgnat: 'a carrier-grade NAT (CGNAT) address',
  benchmark: 'a benchmarking-network address',
  multicast: 'a multicast address',
  metadata: 'a cloud metadata-service address',
  unspecified: 'an unspecified ("this network") address',
  documentation: 'a documentation-only address',
  reserved: 'a reserved address',
};

export interface Network {
  /** The CIDR as written in canonical form. */
  readonly cidr: string;
  readonly base: bigint;
  /** Prefix length in the 128-bit space. */
  readonly bits: number;
  readonly mask: bigint;
}

const V4_MAPPED = 0xffffn << 32n;
const ALL = (1n << 128n) - 1n;

function parseV4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

function parseV6(text: string): bigint | null {
  let s = text.toLowerCase();
  if (s.includes('.')) {
    // A trailing dotted IPv4 (`::ffff:10.0.0.1`) stands for the last two groups.
    const at = s.lastIndexOf(':');
    const v4 = parseV4(s.slice(at + 1));
    if (v4 === null) return null;
    s = `${s.slice(0, at + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return null;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return value;
}

/** An IPv4 or IPv6 address (brackets and zone ids allowed) as a 128-bit integer, or null. */
export function parseAddress(text: string): bigint | null {
  const bare = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (bare.includes(':')) return parseV6(bare);
  const v4 = parseV4(bare);
  return v4 === null ? null : V4_MAPPED | BigInt(v4);
}

/** Parses `10.0.0.0/8`, `::1/128` or a single address; throws with a readable message. */
export function parseNetwork(cidr: string): Network {
  const [addr, prefix, extra] = cidr.trim().split('/');
  const base = parseAddress(addr ?? '');
  const isV4 = !addr?.includes(':');
  const max = isV4 ? 32 : 128;
  const length = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
  if (base === null || extra !== undefined || !(length >= 0 && length <= max)) {
    throw new Error(`"${cidr}" is not a CIDR (like 10.0.0.0/8 or fd00::/8)`);
  }
  const bits = isV4 ? 96 + length : length;
  return { cidr: `${addr}/${length}`, base: base & mask(bits), bits, mask: mask(bits) };
}

function mask(bits: number): bigint {
  return bits === 0 ? 0n : (ALL << BigInt(128 - bits)) & ALL;
}

export function inNetwork(address: bigint, network: Network): boolean {
  return (address & network.mask) === network.base;
}

const REFUSED: ReadonlyArray<{ rule: AddressRule; networks: readonly Network[] }> = [
  // Cloud metadata services first: the most specific (and most dangerous) answer.
  {
    rule: 'metadata',
    networks: ['169.254.169.254/32', '168.63.129.16/32', '100.100.100.200/32', 'fd00:ec2::254/128'].map(parseNetwork),
  },
  { rule: 'unspecified', networks: ['0.0.0.0/8', '::/128'].map(parseNetwork) },
  { rule: 'loopback', networks: ['127.0.0.0/8', '::1/128'].map(parseNetwork) },
  {
    rule: 'private',
    networks: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fec0::/10'].map(parseNetwork),
  },
  { rule: 'link-local', networks: ['169.254.0.0/16', 'fe80::/10'].map(parseNetwork) },
  { rule: 'cgnat', networks: ['100.64.0.0/10'].map(parseNetwork) },
  { rule: 'benchmark', networks: ['198.18.0.0/15', '2001:2::/48'].map(parseNetwork) },
  { rule: 'multicast', networks: ['224.0.0.0/4', 'ff00::/8'].map(parseNetwork) },
  {
    rule: 'documentation',
    networks: ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '3fff::/20'].map(parseNetwork),
  },
  {
    rule: 'reserved',
    networks: [
      '240.0.0.0/4', // includes the broadcast address
      '192.0.0.0/24', // IETF protocol assignments
      '100::/64', // discard-only
      '64:ff9b:1::/48', // local-use NAT64
      '2001::/32', // Teredo tunnels
    ].map(parseNetwork),
  },
];

const NAT64 = parseNetwork('64:ff9b::/96');
const SIX_TO_FOUR = parseNetwork('2002::/16');
const V4_COMPATIBLE = parseNetwork('::/96');

/**
 * The IPv4 address an IPv6 one carries and reaches through translation (NAT64,
 * 6to4, the deprecated IPv4-compatible form), as a mapped address; or null.
 * (IPv4-mapped addresses need nothing: they already are the IPv4 address.)
 */
function embeddedV4(address: bigint): bigint | null {
  if (inNetwork(address, NAT64)) return V4_MAPPED | (address & 0xffffffffn);
  if (inNetwork(address, SIX_TO_FOUR)) return V4_MAPPED | ((address >> 80n) & 0xffffffffn);
  if (inNetwork(address, V4_COMPATIBLE) && address > 1n) return V4_MAPPED | (address & 0xffffffffn);
  return null;
}

/** The rule refusing `address` and the network it falls in, or null for a public address. */
export function classify(address: bigint): { rule: AddressRule; network: string } | null {
  for (const candidate of [address, embeddedV4(address)]) {
    if (candidate === null) continue;
    for (const { rule, networks } of REFUSED) {
      const hit = networks.find((n) => inNetwork(candidate, n));
      if (hit) return { rule, network: hit.cidr };
    }
  }
  return null;
}
