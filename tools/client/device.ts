// A household device as the client library sees it: its key pair, where it keeps its
// own cores (the ones it backs up or asks a node to keep), and how it reaches the DHT.
// Programs build one from an identity folder with `deviceAt`; the CLI does it from flags.
import path from 'node:path'
import { parseBootstrap, type BootstrapNode } from '../../node/config/bootstrap.ts'
import { loadOrCreateIdentity, type KeyPair } from '../../node/identity/identity.ts'
import { decodeKey } from '../../node/identity/keys.ts'

export interface Device {
  keyPair: KeyPair
  // Empty means the public HyperDHT bootstrap nodes.
  bootstrap: BootstrapNode[]
  // Address this device's DHT binds to; null picks one from the bootstrap.
  host: string | null
  // This device's own corestore.
  storeDir: string
  // Relays (relay keys) this device goes through when hole punching cannot work: its
  // NAT randomises ports, or a punch to the node failed.
  relays: Uint8Array[]
}

// The device whose identity is in `identityDir` (created there on first use), with its
// cores beside it. `bootstrap` takes host:port strings as well as parsed nodes.
export function deviceAt (identityDir: string, opts: { bootstrap?: Array<string | BootstrapNode>, host?: string | null, relays?: Array<string | Uint8Array> } = {}): Device {
  return {
    keyPair: loadOrCreateIdentity(identityDir).keyPair,
    bootstrap: (opts.bootstrap ?? []).map((b) => typeof b === 'string' ? parseBootstrap(b) : b),
    host: opts.host ?? null,
    storeDir: path.join(identityDir, 'cores'),
    relays: (opts.relays ?? []).map((k) => typeof k === 'string' ? decodeKey('relay key', k) : k)
  }
}
