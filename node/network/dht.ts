// HyperDHT with the bind address chosen for the bootstrap in use.
import HyperDHT from 'hyperdht'
import type { BootstrapNode } from '../config/bootstrap.ts'

interface KeyPair { publicKey: Uint8Array, secretKey: Uint8Array }

export function isLoopback (host: string): boolean {
  return host === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

// A DHT node bound to all interfaces cannot be reached over a loopback testnet on a
// machine with a second interface: it announces that interface's address, which
// peers cannot use (measured; see ENVIRONMENT.md). So with a loopback bootstrap we
// bind to loopback, as hyperdht/testnet's createNode() does.
export function chooseBindHost (bootstrap: BootstrapNode[], explicitHost: string | null): string | undefined {
  if (explicitHost) return explicitHost
  if (bootstrap.length > 0 && bootstrap.every((b) => isLoopback(b.host))) return '127.0.0.1'
  return undefined
}

// `ephemeral` is for short-lived clients (the CLI): a node that joins routing tables
// and then exits leaves dead entries that slow every later lookup until they expire.
export function createDht (opts: { bootstrap: BootstrapNode[], host: string | null, keyPair?: KeyPair, ephemeral?: boolean }): HyperDHT {
  const host = chooseBindHost(opts.bootstrap, opts.host)
  return new HyperDHT({
    // An empty list means the public bootstrap nodes, which HyperDHT uses by default.
    ...(opts.bootstrap.length > 0 ? { bootstrap: opts.bootstrap.map((b) => ({ host: b.host, port: b.port })) } : {}),
    ...(host ? { host } : {}),
    // On loopback every peer reaches every other directly. Left "firewalled", a peer
    // makes the other side holepunch with extra sockets bound to all interfaces, and on
    // a machine with a second interface the stream then opens but carries nothing
    // (measured: every first connect of a fresh client hung until it timed out).
    ...(host && isLoopback(host) ? { firewalled: false } : {}),
    ...(opts.keyPair ? { keyPair: opts.keyPair } : {}),
    ...(opts.ephemeral ? { ephemeral: true } : {})
  })
}
