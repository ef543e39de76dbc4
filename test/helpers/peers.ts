// The household's devices as test code: a peer with its own key, DHT node and
// corestore, a control channel to a node, and the upstream `blind-peering` client
// that Pear and Keet apps use. Everything is closed when the test ends.
import { createRequire } from 'node:module'
import path from 'node:path'
import b4a from 'b4a'
import type { ExecutionContext } from 'ava'
import type HyperDHT from 'hyperdht'
import type { NoiseSecretStream } from 'hyperdht'
import crypto from 'hypercore-crypto'
import { parseBootstrap } from '../../node/config/bootstrap.ts'
import type { ControlChannel } from '../../node/protocol/channel.ts'
import type { Holding } from '../../node/protocol/storage-messages.ts'
import { createDht } from '../../node/network/dht.ts'
import type { KeyPair } from '../../node/identity/identity.ts'
import { decodeKey, encodeKey } from '../../node/identity/keys.ts'
import { openClientStore, type ClientCore, type ClientStore } from '../../tools/client/store.ts'
import { connectToNode } from '../../tools/client/connect.ts'
import { tmpDir } from './tmp.ts'

export { sleep, until } from '../../tools/harness/wait.ts'

export interface Peer {
  keyPair: KeyPair
  // The key as the node's config and log write it.
  id: string
  dht: HyperDHT
  store: ClientStore
  close (): Promise<void>
}

// A device with a fresh key. Its DHT node is bound to loopback and not firewalled
// (createDht), and carries the peer's key, so connections it opens (blind-peering's
// too, which uses the DHT's default key pair) are authenticated as this peer.
export function startPeer (t: ExecutionContext, bootstrap: string[]): Peer {
  const keyPair = crypto.keyPair()
  const dht = createDht({ bootstrap: bootstrap.map(parseBootstrap), host: null, keyPair })
  const store = openClientStore(path.join(tmpDir(t, 'roost-peer-'), 'cores'))
  let closing: Promise<void> | null = null
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await store.close()
      await dht.destroy({ force: true })
    })()
    return closing
  }
  t.teardown(close)
  return { keyPair, id: encodeKey(keyPair.publicKey), dht, store, close }
}

export interface ControlSession { socket: NoiseSecretStream, control: ControlChannel, close (): void }

// A control channel to the node over the peer's own DHT node (tools/client, retried
// while the node is not yet found); close() drops the connection at once.
export async function controlSession (peer: Peer, nodeKey: string, timeoutMs = 20_000): Promise<ControlSession> {
  const session = await connectToNode({ keyPair: peer.keyPair, bootstrap: [], host: null }, nodeKey, { dht: peer.dht, timeoutMs })
  return { socket: session.socket, control: session.control, close: () => session.socket.destroy() }
}


// The node's holding of one core, if it lists it.
export async function holdingOf (control: ControlChannel, key: Uint8Array): Promise<Holding | undefined> {
  const { holdings } = await control.holdings()
  return holdings.find((h) => b4a.equals(h.key, key))
}

// Blocks that carry a readable marker, so a leak of plaintext would show in a scan.
export function markedBlocks (marker: string, count: number, size: number): Uint8Array[] {
  const blocks: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const text = b4a.from(`${marker}-${i}-`)
    blocks.push(b4a.concat([text, crypto.randomBytes(Math.max(0, size - text.byteLength))]))
  }
  return blocks
}

// Reads every block of a core, waiting for each to arrive from whoever serves it.
export async function readAll (core: ClientCore, length: number, timeoutMs: number): Promise<Uint8Array[]> {
  const blocks: Uint8Array[] = []
  for (let i = 0; i < length; i++) {
    const block = await core.get(i, { wait: true, timeout: timeoutMs })
    if (!block) throw new Error(`block ${i} of ${length} did not arrive`)
    blocks.push(block)
  }
  return blocks
}

// Serves `store` to the node over a direct connection to its key, and nothing else:
// what the reader gets, it got from the node.
export function replicateWithNode (peer: Peer, nodeKey: string): NoiseSecretStream {
  const socket = peer.dht.connect(decodeKey('node key', nodeKey), { keyPair: peer.keyPair })
  socket.on('error', () => {})
  peer.store.replicate(socket)
  return socket
}

// What roost uses of `blind-peering` (untyped CommonJS).
export interface BlindPeeringClient {
  addCore (core: ClientCore, opts?: { announce?: boolean, priority?: number }): Promise<void>
  close (): Promise<void>
}
type BlindPeeringClass = new (dht: HyperDHT, store: ClientStore, opts: { keys: Uint8Array[] }) => BlindPeeringClient

const require = createRequire(import.meta.url)

// The upstream client, pointed at one blind peer (the node).
export function blindPeering (t: ExecutionContext, peer: Peer, nodeKey: string): BlindPeeringClient {
  const BlindPeering = require('blind-peering') as BlindPeeringClass
  const client = new BlindPeering(peer.dht, peer.store, { keys: [decodeKey('node key', nodeKey)] })
  t.teardown(() => client.close())
  return client
}
