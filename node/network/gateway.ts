// The home router as this machine sees it: the default route's gateway and the
// machine's own address on that interface (UPnP asks for the mapping's internal client
// by address). Linux only, as every roost board is: /proc/net/route, not a netlink addon.
import fs from '#fs'
import { platform } from '#platform'

export interface Gateway {
  // The router's LAN address.
  address: string
  // This machine's IPv4 address on the interface towards it.
  localAddress: string
}

// /proc/net/route holds addresses as little-endian hex: 0101A8C0 is 192.168.1.1.
function hexAddress (hex: string): string {
  const n = parseInt(hex, 16)
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.')
}

// The default route with the lowest metric: its interface and gateway; null without one.
export function defaultRoute (table: string): { iface: string, gateway: string } | null {
  let best: { iface: string, gateway: string, metric: number } | null = null
  for (const line of table.split('\n').slice(1)) {
    const [iface, destination, gateway, flags, , , metric, mask] = line.trim().split(/\s+/)
    if (iface === undefined || mask === undefined) continue
    // RTF_UP | RTF_GATEWAY: a route through a router, not an on-link one.
    if (destination !== '00000000' || mask !== '00000000' || (parseInt(flags, 16) & 3) !== 3) continue
    if (best === null || Number(metric) < best.metric) best = { iface, gateway: hexAddress(gateway), metric: Number(metric) }
  }
  return best === null ? null : { iface: best.iface, gateway: best.gateway }
}

// null when there is no default route (a machine on the public segment with only
// on-link routes, or no network yet), with the reason.
export function findGateway (): Gateway | { reason: string } {
  let table: string
  try {
    table = fs.readFileSync('/proc/net/route', 'utf8') as unknown as string
  } catch {
    return { reason: 'cannot read the routing table (/proc/net/route)' }
  }
  const route = defaultRoute(String(table))
  if (route === null) return { reason: 'this machine has no default route, so no home router to ask' }
  const local = (platform.networkInterfaces()[route.iface] ?? []).find((a) => a.family === 'IPv4' && !a.internal)
  if (local === undefined) return { reason: `the default route's interface ${route.iface} has no IPv4 address` }
  return { address: route.gateway, localAddress: local.address }
}
