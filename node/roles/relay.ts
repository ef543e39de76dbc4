// The relay role as one unit the node loads only when a config turns it on (its own
// bundle on the device, roles/relay.cjs): upstream blind-relay behind the node's trust
// and per-key limits (node/relay/), on the node's DHT.
import type HyperDHT from 'hyperdht'
import type { RelaySettings } from '../config/types.ts'
import type { KeyPair } from '../identity/identity.ts'
import type { Logger } from '../log.ts'
import { relayKeyPair } from '../relay/relay-key.ts'
import { startRelay, type Relay } from '../relay/relay.ts'

export type RelayRole = Relay

export interface RelayRoleOptions {
  dht: HyperDHT
  // The node's identity; the relay listens on a key derived from it.
  identity: KeyPair
  mayRelay (remotePublicKey: Uint8Array): boolean
  settings: RelaySettings
  log: Logger
}

export async function startRelayRole ({ dht, identity, mayRelay, settings, log }: RelayRoleOptions): Promise<RelayRole> {
  return await startRelay({ dht, keyPair: relayKeyPair(identity), mayRelay, settings, log })
}
