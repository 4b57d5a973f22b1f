// Keeps webhooks from reaching into the server's own network (SSRF): a receiver's host must resolve only to public
// addresses unless the operator allows private ones. The check runs at registration and again inside the
// connection's own DNS lookup at delivery time, so a name that re-resolves to 127.0.0.1 later (DNS rebinding)
// is refused on the very address the socket would have used.
import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a name resolves to; replaceable in tests. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface AddressPolicy {
  allowPrivate: boolean;
  resolve?: Resolver;
}

/**
 * The message names the host, never the address a name resolved to: it reaches the user (the registration's answer,
 * the delivery log), and naming it let anyone map the server's internal network through its DNS.
 */
export class UnsafeAddressError extends Error {
  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    super(`${hostname} ${isIP(hostname) ? 'is' : 'resolves to'} a loopback, private or reserved address`);
  }
}

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
// BlockList checks IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) against the IPv4 rules above. Every form that
// embeds an IPv4 address is refused whole (IPv4-compatible ::/96, SIIT's IPv4-translated ::ffff:0:0:0/96, NAT64 in
// both its prefixes, 6to4, Teredo): any IPv4 address can hide in it, and public names do not resolve to them. So are
// the deprecated site-local addresses.
for (const [network, prefix] of [
  ['::', 96], ['::ffff:0:0:0', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 32], ['2001:db8::', 32], ['2002::', 16],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

/** URL hostnames keep IPv6 literals in brackets; DNS wants them bare. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** The host's addresses, all of them allowed by the policy; UnsafeAddressError names the first that is not. */
export async function resolveAllowed(hostname: string, policy: AddressPolicy): Promise<ResolvedAddress[]> {
  const host = bareHost(hostname);
  const family = isIP(host);
  const addresses = family ? [{ address: host, family }] : await (policy.resolve ?? systemResolver)(host);
  if (addresses.length === 0) throw new Error(`${host} has no addresses`);
  if (!policy.allowPrivate) {
    const bad = addresses.find((entry) => isPrivateAddress(entry.address));
    if (bad) throw new UnsafeAddressError(host, bad.address);
  }
  return addresses;
}

/** A `lookup` for http(s).request that connects only to addresses the policy allows. */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolveAllowed(hostname, policy).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        const usable = wanted.length > 0 ? wanted : addresses;
        if (options.all) (callback as (error: null, addresses: ResolvedAddress[]) => void)(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}
