// HyperDHT with the bind address chosen for the bootstrap in use.
import HyperDHT from 'hyperdht'
import type { BootstrapNode } from '../config/bootstrap.ts'
import type { Logger } from '../log.ts'

interface KeyPair { publicKey: Uint8Array, secretKey: Uint8Array }

export function isLoopback (host: string): boolean {
  return host === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

// upstream(hyperdht@6.34.0): a DHT node bound to all interfaces cannot be reached over a
// loopback testnet on a machine with a second interface, so with a loopback bootstrap
// it binds to loopback, as hyperdht/testnet's createNode() does
// (docs/decisions/loopback-dht.md).
export function chooseBindHost (bootstrap: BootstrapNode[], explicitHost: string | null): string | undefined {
  if (explicitHost) return explicitHost
  if (bootstrap.length > 0 && bootstrap.every((b) => isLoopback(b.host))) return '127.0.0.1'
  return undefined
}

// hyperdht's default port for the DHT's server socket: the one a home router is asked to
// map before the DHT starts (it moves to another when that port is taken).
export const DHT_PORT = 49737

// What HyperDHT made of the node's reachability: logged once it has bootstrapped and
// whenever it changes. The node never sets `ephemeral` itself: dht-rpc's adaptive mode
// makes an always-on node persistent once its own probes find it reachable on a
// consistent address for about 20 minutes, and keeps one behind a NAT ephemeral
// (docs/decisions/port-mapping.md). `mapped` says whether the home router maps the
// DHT's port now; recheck() is called when that becomes true.
export function watchReachability (dht: HyperDHT, log: Logger, mapped: () => boolean): { recheck (): void } {
  let last = ''
  let bootstrapped = false
  const say = (): void => {
    const remote = dht.remoteAddress()
    const fields = { firewalled: dht.firewalled, persistent: !dht.ephemeral, remoteAddress: remote === null ? null : `${remote.host}:${remote.port}` }
    const said = JSON.stringify(fields)
    if (said === last) return
    last = said
    log('dht-reachability', fields)
  }
  // upstream(dht-rpc@6.27.0): the one firewall check before the node waits ~20 minutes
  // is a race: a single ping asked of the first node to answer must come back before the
  // bootstrap query ends, which on a fast network it often does not (measured in the lab:
  // firewalled stayed true on one run of two with the port mapped). With a mapping, the
  // same check dht-rpc runs then (_updateNetworkState(onlyFirewall): five nodes ping the
  // server socket; it only clears `firewalled`, never makes the node persistent) is run
  // again; it has no public name.
  const recheck = async (): Promise<void> => {
    if (!bootstrapped || dht.destroyed || !dht.firewalled || !mapped()) return
    const rpc = dht as unknown as { _updateNetworkState (onlyFirewall: boolean): Promise<boolean> }
    await rpc._updateNetworkState(true).catch(() => false)
    if (!dht.destroyed) say()
  }
  dht.on('persistent', say)
  dht.on('ephemeral', say)
  dht.fullyBootstrapped().then(async () => {
    bootstrapped = true
    await recheck()
    if (!dht.destroyed) say()
  }, () => {})
  return { recheck: () => { void recheck() } }
}

// `ephemeral` is for short-lived clients (the CLI): a node that joins routing tables
// and then exits leaves dead entries that slow every later lookup until they expire.
export function createDht (opts: { bootstrap: BootstrapNode[], host: string | null, keyPair?: KeyPair, ephemeral?: boolean }): HyperDHT {
  const host = chooseBindHost(opts.bootstrap, opts.host)
  return new HyperDHT({
    // An empty list means the public bootstrap nodes, which HyperDHT uses by default.
    ...(opts.bootstrap.length > 0 ? { bootstrap: opts.bootstrap.map((b) => ({ host: b.host, port: b.port })) } : {}),
    ...(host ? { host } : {}),
    // upstream(hyperdht@6.34.0): left "firewalled" on loopback, a first connect opened a
    // stream that carried nothing (docs/decisions/loopback-dht.md).
    ...(host && isLoopback(host) ? { firewalled: false } : {}),
    ...(opts.keyPair ? { keyPair: opts.keyPair } : {}),
    ...(opts.ephemeral ? { ephemeral: true } : {})
  })
}
