// Going through a blind relay when hole punching cannot work, for nodes and clients
// alike: which relays a connection names, and whether a connection is relayed now.
// hyperdht connects through a relay while it punches in parallel; if either side names
// a relay, both use it, and a punch that succeeds later moves the stream to the direct
// path ('remote-changed' on the raw stream).
import b4a from 'b4a'
import { Client as RelayClient } from 'blind-relay'
import type HyperDHT from 'hyperdht'
import type { NoiseSecretStream, RawStream } from 'hyperdht'

// hyperdht's codes for a connect its NATs defeated; another attempt through a relay
// may succeed where a second punch would fail the same way.
const PUNCH_FAILURES = new Set([
  'HOLEPUNCH_ABORTED', 'HOLEPUNCH_DOUBLE_RANDOMIZED_NATS', 'HOLEPUNCH_PROBE_TIMEOUT', 'HOLEPUNCH_INVALID',
  'CANNOT_HOLEPUNCH', 'REMOTE_NOT_HOLEPUNCHABLE', 'REMOTE_NOT_HOLEPUNCHING'
])

export function isPunchFailure (code: string | undefined): boolean {
  return code !== undefined && PUNCH_FAILURES.has(code)
}

// How long a failed punch to a key sends later connections to it through a relay: a
// laptop that moves to another network may be punchable again.
const REMEMBER_FAILURE_MS = 30 * 60_000

export type RelayChoice = () => Uint8Array[] | null

export interface ConnectionPath {
  // The relay the connection goes through now; null when it is direct.
  relay: Uint8Array | null
}

export interface Relays {
  // The relays this side may name (empty when none is configured).
  keys: Uint8Array[]
  // relayThrough for a connection to `remoteKey`: the relays when this side's NAT
  // randomises ports or a punch to that key failed lately, else none (hyperdht calls it
  // as the connection starts, so after the DHT has bootstrapped it knows its NAT).
  forConnect (remoteKey: Uint8Array): RelayChoice
  // relayThrough for this side's server: the relays when its NAT randomises ports (a
  // client behind such a NAT names its own).
  forServer: RelayChoice
  // Notes a failed connect; true when it was the NATs and a relay may do better.
  failed (remoteKey: Uint8Array, code: string | undefined): boolean
  path (socket: NoiseSecretStream): ConnectionPath
}

// `dht` is watched for the connections hyperdht opens to relays (for its own connects
// and its server's), so that path() can tell a relayed stream from a direct one; once
// per DHT, however many times a program calls this with it.
export function useRelays (dht: HyperDHT, keys: Uint8Array[]): Relays {
  const failedAt = new Map<string, number>()
  const relayedBy = watchRelayedStreams(dht)

  const forServer: RelayChoice = () => keys.length > 0 && dht.randomized ? keys : null

  return {
    keys,
    forConnect (remoteKey) {
      const id = b4a.toString(remoteKey, 'hex')
      return () => {
        if (keys.length === 0) return null
        const failed = failedAt.get(id)
        if (failed !== undefined && Date.now() - failed > REMEMBER_FAILURE_MS) failedAt.delete(id)
        return dht.randomized || failedAt.has(id) ? keys : null
      }
    },
    forServer,
    failed (remoteKey, code) {
      if (!isPunchFailure(code)) return false
      failedAt.set(b4a.toString(remoteKey, 'hex'), Date.now())
      return keys.length > 0
    },
    path (socket) {
      const raw = socket.rawStream
      return { relay: raw === null ? null : relayedBy.get(raw) ?? null }
    }
  }
}

// upstream(hyperdht@6.34.0): nothing tells a program that a connection is relayed.
// hyperdht reaches a relay with a plain dht.connect(relayKey) and pairs the connection's
// raw stream through blind-relay's Client.from(thatSocket), in the same turn; that
// client's 'pair' event hands over the raw stream it paired. So each connect is looked
// at once that turn is over, and a stream paired through a relay before it connected
// is relayed until it changes its remote (the punch succeeded).
const watched = new WeakMap<HyperDHT, WeakMap<RawStream, Uint8Array>>()

function watchRelayedStreams (dht: HyperDHT): WeakMap<RawStream, Uint8Array> {
  const known = watched.get(dht)
  if (known !== undefined) return known
  const relayedBy = new WeakMap<RawStream, Uint8Array>()
  watched.set(dht, relayedBy)
  const connect = dht.connect.bind(dht)
  dht.connect = (publicKey, opts) => {
    const socket = connect(publicKey, opts)
    queueMicrotask(() => {
      const client = RelayClient._clients.get(socket)
      if (client === undefined) return
      client.on('pair', (_isInitiator: boolean, _token: Uint8Array, stream: RawStream) => {
        // A stream already connected went direct before the relay paired it; hyperdht
        // then drops the relay (it connects a paired stream a moment after this event).
        if (stream.connected) return
        relayedBy.set(stream, publicKey)
        stream.once('remote-changed', () => relayedBy.delete(stream))
      })
    })
    return socket
  }
  return relayedBy
}
