// The client a request's address stands for in per-address budgets. An IPv6 host is routinely given a whole /64 and
// may pick any address in it, so counting exact addresses gave one host 2^64 fresh budgets: IPv6 clients count by
// their /64. An IPv4 client seen as an IPv4-mapped IPv6 address (a dual-stack socket) counts as its IPv4 address.
import { isIPv4, isIPv6 } from 'node:net';

/** The 8 groups of an IPv6 address as numbers (an embedded dotted IPv4 tail counts as two). */
function groupsOf(address: string): number[] {
  const parse = (part: string) =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!isIPv4(group)) return [parseInt(group, 16)];
          const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = '', tail] = address.split('::');
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** The IPv4 address inside an IPv4-mapped one (::ffff:0:0/96), whether written dotted or in hex. */
function mappedIPv4(groups: number[]): string | undefined {
  if (groups.slice(0, 6).join(':') !== '0:0:0:0:0:65535') return undefined;
  const [high, low] = groups.slice(6) as [number, number];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** The key a client address counts under: an IPv6 address's /64, an IPv4 address as it is. */
export function clientKey(ip: string): string {
  const bare = (ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip).replace(/%.*$/, '');
  if (!isIPv6(bare)) return bare;
  const groups = groupsOf(bare);
  return mappedIPv4(groups) ?? `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}
