// Keeps reaching the configured peers by public key and pings them, so an operator
// sees in the log that this node and its peers find each other on the DHT.
import { nowMs } from '../platform/clock.ts'
import type HyperDHT from 'hyperdht'
import { openControlChannel } from '../protocol/channel.ts'
import { decodeKey, encodeKey } from '../identity/keys.ts'
import type { Logger } from '../log.ts'
import type { Relays } from './relays.ts'

interface KeyPair { publicKey: Uint8Array, secretKey: Uint8Array }

export interface PeerWatch { close (): void }

const MIN_BACKOFF_MS = 1000
const MAX_BACKOFF_MS = 30_000

export function watchPeers (dht: HyperDHT, keyPair: KeyPair, peers: string[], intervalMs: number, log: Logger, relays: Relays): PeerWatch {
  const closers = peers.map((peer) => watchPeer(dht, keyPair, peer, intervalMs, log, relays))
  return { close () { for (const close of closers) close() } }
}

function watchPeer (dht: HyperDHT, keyPair: KeyPair, peer: string, intervalMs: number, log: Logger, relays: Relays): () => void {
  const publicKey = decodeKey('peers', peer)
  let closed = false
  let backoff = MIN_BACKOFF_MS
  let timer: ReturnType<typeof setTimeout> | null = null
  let socket: ReturnType<HyperDHT['connect']> | null = null

  function connect (): void {
    if (closed) return
    const started = nowMs()
    socket = dht.connect(publicKey, { keyPair, relayThrough: relays.forConnect(publicKey) })
    const opened = socket
    const control = openControlChannel(socket)
    let reached = false

    const pingLoop = async (): Promise<void> => {
      while (!closed && socket && !socket.destroyed) {
        const rttMs = await control.ping()
        if (!reached) {
          reached = true
          backoff = MIN_BACKOFF_MS
          const relay = relays.path(opened).relay
          log('peer-reached', { peer, connectMs: round(nowMs() - started), rttMs: round(rttMs), ...(relay === null ? {} : { relay: encodeKey(relay) }) })
        } else {
          log('peer-ping', { peer, rttMs: round(rttMs) })
        }
        await new Promise<void>((resolve) => { timer = setTimeout(resolve, intervalMs) })
      }
    }

    // The socket's own error (PEER_NOT_FOUND, HOLEPUNCH_ABORTED...) says more than the
    // channel closing that follows it.
    let socketError: (Error & { code?: string }) | null = null
    control.opened.then(pingLoop).catch((err: Error & { code?: string }) => {
      const cause = socketError ?? err
      if (!closed) log('peer-unreachable', { peer, code: cause.code ?? 'ERROR', reason: cause.message })
      socket?.destroy()
    })
    // A punch that failed sends the next attempt through a relay, when there is one.
    socket.on('error', (err: Error & { code?: string }) => {
      socketError = err
      relays.failed(publicKey, err.code)
    })
    socket.on('close', () => {
      if (closed) return
      if (reached) log('peer-lost', { peer })
      timer = setTimeout(connect, backoff)
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)
    })
  }

  connect()
  return () => {
    closed = true
    if (timer) clearTimeout(timer)
    socket?.destroy()
  }
}

function round (ms: number): number {
  return Math.round(ms * 100) / 100
}
