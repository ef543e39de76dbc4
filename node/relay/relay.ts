// The node as a blind relay: upstream blind-relay's server on a DHT server of its own
// key, for keys the node trusts only. blind-relay has no access control or limits of
// its own: the DHT server's firewall hook refuses a key that may not relay (or has its
// most sessions open, or was cut for its rate) before its handshake completes, and the
// bytes each key sends through are counted from the relayed UDX streams (libudx counts
// relayed packets on the stream that receives them). The relay forwards end-to-end
// encrypted streams it cannot read. docs/decisions/relay-trust-limits.md says why so.
import { Server as BlindRelay, type RelaySession } from 'blind-relay'
import type HyperDHT from 'hyperdht'
import type { NoiseSecretStream, RawStream, Server } from 'hyperdht'
import type { RelaySettings } from '../config/types.ts'
import type { KeyPair } from '../identity/identity.ts'
import { encodeKey } from '../identity/keys.ts'
import type { Logger } from '../log.ts'
import type { RelayStatus } from '../protocol/relay-messages.ts'
import { peerLimits, type RelayRefusal } from './limits.ts'

export interface RelayOptions {
  dht: HyperDHT
  // The relay's own key pair (relay-key.ts), not the node's.
  keyPair: KeyPair
  // Whether a key may use the relay at all (the node's trust).
  mayRelay (remotePublicKey: Uint8Array): boolean
  settings: RelaySettings
  log: Logger
}

export interface Relay {
  relayKey: Uint8Array
  stats (): RelayStatus
  close (): Promise<void>
}

// A key's bytes are counted this often: at LAN speeds a burst of one interval's worth
// gets through before the key is cut.
const SAMPLE_MS = 250
// A refusal is logged once per key and reason a minute, with how many there were.
const REFUSAL_LOG_MS = 60_000
// As hyperdht's relay clients keep their side alive.
const KEEP_ALIVE_MS = 5000

interface Peer {
  sockets: Set<NoiseSecretStream>
  // Each relayed stream of the key and its received bytes counted so far.
  streams: Map<RawStream, number>
}

export async function startRelay ({ dht, keyPair, mayRelay, settings, log }: RelayOptions): Promise<Relay> {
  const limits = peerLimits(settings)
  const relay = new BlindRelay({ createStream: (opts) => dht.createRawStream({ ...opts, framed: true }) })
  const peers = new Map<string, Peer>()
  const refused: Record<RelayRefusal, number> = { 'not-trusted': 0, sessions: 0, rate: 0 }
  const refusalLines = new Map<string, { at: number, count: number }>()
  let relayedBytes = 0
  let cut = 0
  let listening = false

  function refuse (peer: string, reason: RelayRefusal): void {
    refused[reason]++
    const key = `${peer} ${reason}`
    const line = refusalLines.get(key)
    const now = Date.now()
    if (line !== undefined && now - line.at < REFUSAL_LOG_MS) {
      line.count++
      return
    }
    refusalLines.set(key, { at: now, count: 0 })
    log('relay-refused', { peer, reason, refused: (line?.count ?? 0) + 1, ...(reason === 'sessions' ? { sessionsPerPeer: settings.sessionsPerPeer } : {}) })
  }

  function firewall (remotePublicKey: Uint8Array): boolean {
    const peer = encodeKey(remotePublicKey)
    const why = mayRelay(remotePublicKey) ? limits.admit(peer, Date.now()) : 'not-trusted'
    if (why === null) return false
    refuse(peer, why)
    return true
  }

  // Bytes a key's streams received since they were last counted.
  function uncounted (state: Peer, stream: RawStream): number {
    const before = state.streams.get(stream) ?? 0
    const now = stream.bytesReceived
    state.streams.set(stream, now)
    return now - before
  }

  function onSession (socket: NoiseSecretStream): void {
    const peer = encodeKey(socket.remotePublicKey)
    socket.on('error', () => {})
    // Handshakes that passed the firewall at the same time may be one too many.
    const why = limits.admit(peer, Date.now())
    if (why !== null) {
      refuse(peer, why)
      socket.destroy()
      return
    }
    limits.opened(peer)
    let state = peers.get(peer)
    if (state === undefined) {
      state = { sockets: new Set(), streams: new Map() }
      peers.set(peer, state)
    }
    const own = state
    own.sockets.add(socket)
    socket.setKeepAlive(KEEP_ALIVE_MS)
    const session: RelaySession = relay.accept(socket, { id: socket.remotePublicKey })
    session.on('error', () => {})
    // The stream handed over is the one that receives this key's packets.
    session.on('pair', (_isInitiator: boolean, _token: Uint8Array, stream: RawStream) => {
      own.streams.set(stream, 0)
      stream.once('close', () => {
        relayedBytes += uncounted(own, stream)
        own.streams.delete(stream)
      })
    })
    socket.once('close', () => {
      limits.closed(peer)
      own.sockets.delete(socket)
      if (own.sockets.size === 0 && own.streams.size === 0) peers.delete(peer)
    })
  }

  function sample (): void {
    const now = Date.now()
    for (const [peer, state] of peers) {
      let bytes = 0
      for (const stream of state.streams.keys()) bytes += uncounted(state, stream)
      relayedBytes += bytes
      if (!limits.sent(peer, bytes, now)) continue
      cut++
      log('relay-cut', { peer, streams: state.streams.size, bytesPerSecondPerPeer: settings.bytesPerSecondPerPeer })
      // Closing its sessions closes its relayed streams, and with them their partners'.
      for (const socket of state.sockets) socket.destroy()
    }
  }

  const server: Server = dht.createServer({ firewall }, onSession)
  await server.listen(keyPair)
  listening = true
  const timer = setInterval(sample, SAMPLE_MS)
  timer.unref?.()
  log('relay-listening', {
    relayKey: encodeKey(keyPair.publicKey),
    sessionsPerPeer: settings.sessionsPerPeer,
    bytesPerSecondPerPeer: settings.bytesPerSecondPerPeer
  })

  let closing: Promise<void> | null = null
  return {
    relayKey: keyPair.publicKey,
    stats () {
      let sessions = 0
      let active = 0
      for (const state of peers.values()) {
        sessions += state.sockets.size
        if (state.sockets.size > 0) active++
      }
      return {
        listening,
        relayKey: keyPair.publicKey,
        sessions,
        peers: active,
        relaying: relay.stats.pairings.active,
        paired: relay.stats.pairings.matched,
        relayedBytes,
        refusedUntrusted: refused['not-trusted'],
        refusedSessions: refused.sessions,
        refusedRate: refused.rate,
        cut
      }
    },
    close () {
      closing ??= (async () => {
        clearInterval(timer)
        listening = false
        for (const state of peers.values()) for (const socket of state.sockets) socket.destroy()
        await server.close()
      })()
      return closing
    }
  }
}
