// The relay's key pair: its own, so that the node's server (control channel, replication,
// open to any key) and the relay's (trusted keys only, refused in the handshake) each
// have one firewall. Derived from the node's identity, so it stays the same across
// restarts and needs no file of its own; it changes when the identity is rotated.
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import type { KeyPair } from '../identity/identity.ts'

const CONTEXT = b4a.from('roost relay key v1')

export function relayKeyPair (identity: KeyPair): KeyPair {
  return crypto.keyPair(crypto.hash([CONTEXT, identity.secretKey]))
}
