// Where a kept core's blocks come from when no connected device brings them: the peers
// that announce the core on the DHT under its discovery key, at most MAX_SOURCES at once.
import b4a from 'b4a'
import type { KeyPair } from '../identity/identity.ts'

// Sources for a core nobody connected brings: at most this many peers at once.
export const MAX_SOURCES = 3

export interface HostPort { host: string, port: number }

export interface LookupReply { peers: Array<{ publicKey: Uint8Array, relayAddresses: HostPort[] }> }

// A connection to a source.
export interface SourceSocket {
  on (event: 'error', listener: (err: Error) => void): unknown
  once (event: 'close', listener: () => void): unknown
  destroy (): void
}

// What the keeper uses of HyperDHT.
export interface SourceDht {
  lookup (topic: Uint8Array): AsyncIterable<LookupReply> & { destroy (): void }
  connect (publicKey: Uint8Array, opts: { keyPair: KeyPair, relayAddresses: HostPort[] }): SourceSocket
}

// A core being looked for, and the sources it has.
export interface Sought {
  core: { discoveryKey: Uint8Array }
  sources: Set<SourceSocket>
  lookingUp: boolean
  closing: Promise<void> | null
}

export interface SourceOptions {
  dht: SourceDht
  keyPair: KeyPair
  // Replicates the node's store over a new source's connection.
  replicate (socket: SourceSocket): void
}

// Connects to the core's holders the DHT names (never the node itself) until it has
// MAX_SOURCES; resolves when the lookup ends.
export async function lookUpSources (sought: Sought, opts: SourceOptions): Promise<void> {
  const { dht, keyPair } = opts
  sought.lookingUp = true
  const seen = new Set<string>([b4a.toString(keyPair.publicKey, 'hex')])
  try {
    const query = dht.lookup(sought.core.discoveryKey)
    for await (const reply of query) {
      for (const peer of reply.peers) {
        const id = b4a.toString(peer.publicKey, 'hex')
        if (seen.has(id) || sought.sources.size >= MAX_SOURCES) continue
        seen.add(id)
        const socket = dht.connect(peer.publicKey, { keyPair, relayAddresses: peer.relayAddresses })
        socket.on('error', () => {})
        socket.once('close', () => sought.sources.delete(socket))
        sought.sources.add(socket)
        opts.replicate(socket)
      }
      if (sought.closing || sought.sources.size >= MAX_SOURCES) { query.destroy(); break }
    }
  } catch {
    // A failed lookup is tried again on the next retry round.
  } finally {
    sought.lookingUp = false
  }
}

export function dropSources (sought: Sought): void {
  for (const socket of sought.sources) socket.destroy()
}
