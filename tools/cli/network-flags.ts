// The flags of every command that talks to a node over the DHT, and the household
// device (tools/client) they describe.
import { parseBootstrap } from '../../node/config/bootstrap.ts'
import { decodeKey, encodeKey } from '../../node/identity/keys.ts'
import { deviceAt, type Device } from '../client/device.ts'
import type { ConnectionPath } from '../../node/network/relays.ts'
import type { FlagSpec } from './args.ts'
import { clientIdentityDir } from './paths.ts'

export const NETWORK_FLAGS = {
  bootstrap: { type: 'string', multiple: true, value: 'HOST:PORT', help: 'DHT bootstrap node; default: the public HyperDHT bootstrap nodes' },
  host: { type: 'string', value: 'ADDRESS', help: 'address the DHT binds to; default: 127.0.0.1 for a loopback bootstrap, else all' },
  relay: { type: 'string', multiple: true, value: 'RELAY_KEY', help: 'relay to go through when hole punching cannot work (the relayKey a roost relay logs); it must trust your key' },
  identity: { type: 'string', value: 'DIR', help: 'folder of this client\'s identity (default: ~/.local/share/roost/client)' }
} as const satisfies Record<string, FlagSpec>

export interface NetworkFlags { bootstrap?: string[], host?: string, identity?: string, relay?: string[] }

// This client as a household device: its identity folder (created on first use), its
// cores beside it, and the DHT the flags name.
export function deviceFromFlags (flags: NetworkFlags): Device {
  return deviceAt(flags.identity ?? clientIdentityDir(), {
    bootstrap: (flags.bootstrap ?? []).map(parseBootstrap),
    host: flags.host ?? null,
    relays: (flags.relay ?? []).map((key) => decodeKey('--relay', key))
  })
}

// How a connection reaches the node, as ping and status print it.
export function pathWords (path: ConnectionPath): string {
  return path.relay === null ? 'direct' : `relayed through ${encodeKey(path.relay)}`
}
