// A control channel to a node by its public key over HyperDHT, for every part of the
// household client: retried until the node is found or the deadline passes; through a
// relay when hole punching cannot work (this side's NAT randomises ports, or a punch
// failed) and the device names one.
import type HyperDHT from 'hyperdht'
import type { NoiseSecretStream } from 'hyperdht'
import { openControlChannel, type ControlChannel } from '../../node/protocol/channel.ts'
import { createDht } from '../../node/network/dht.ts'
import { isPunchFailure, useRelays, type ConnectionPath } from '../../node/network/relays.ts'
import { decodeKey, encodeKey } from '../../node/identity/keys.ts'
import type { Device } from './device.ts'
import { ClientError } from './errors.ts'

export interface NodeSession {
  dht: HyperDHT
  socket: NoiseSecretStream
  control: ControlChannel
  connectMs: number
  // Whether the connection goes through a relay now (a punch that succeeds later moves
  // it to the direct path).
  path (): ConnectionPath
  close (): Promise<void>
}

export const CONNECT_TIMEOUT_MS = 20_000
const RETRY_DELAY_MS = 500
// One attempt that hangs (a handshake lost on a busy machine) is abandoned and retried.
const ATTEMPT_TIMEOUT_MS = 5000
// upstream(hyperdht@6.34.0): a relay's firewall refuses a key by not answering its
// handshake; the connection through it fails about 8 s later. An attempt that names a
// relay waits that long, so the failure it reports is the relay's.
const RELAYED_ATTEMPT_TIMEOUT_MS = 12_000
// blind-relay's and hyperdht's codes for a relay that did not join the two sides: the
// next attempt would go through the same relay.
const RELAY_FAILURES = new Set(['RELAY_ABORTED', 'CHANNEL_CLOSED', 'CHANNEL_DESTROYED', 'PAIRING_CANCELLED'])
// Without a relay, a second punch that fails as the first did ends the connect: a third
// would fail the same way.
const PUNCH_ATTEMPTS = 2

export type ConnectingDevice = Pick<Device, 'keyPair' | 'bootstrap' | 'host'> & Partial<Pick<Device, 'relays'>>

// Connects to a node by key, retrying failed attempts (a node that has just started
// may not be found yet; a busy board may let a first handshake time out) until the
// deadline; the last attempt's reason is reported.
// `dht`: use this DHT node instead of a fresh ephemeral one (a program that already has
// one); the session then leaves it open when it closes.
export async function connectToNode (device: ConnectingDevice, nodeKey: string | Uint8Array, opts: { timeoutMs?: number, dht?: HyperDHT } = {}): Promise<NodeSession> {
  const publicKey = typeof nodeKey === 'string' ? decodeKey('node key', nodeKey) : nodeKey
  const { keyPair } = device
  const timeoutMs = opts.timeoutMs ?? CONNECT_TIMEOUT_MS
  const ownDht = opts.dht === undefined
  // The DHT's own key pair is the device's: hyperdht reaches a relay with it, and the
  // relay lets in only keys it trusts.
  const dht = opts.dht ?? createDht({ bootstrap: device.bootstrap, host: device.host, ephemeral: true, keyPair })
  const relays = useRelays(dht, device.relays ?? [])
  const started = performance.now()
  const deadline = started + timeoutMs
  let lastError: Error & { code?: string } = ClientError.TIMEOUT('connect', timeoutMs)
  let punchFailures = 0
  let relayTried = false
  try {
    // Whether this side's NAT randomises ports is known once the DHT has bootstrapped,
    // and it decides whether the first attempt names a relay.
    if (relays.keys.length > 0) await dht.fullyBootstrapped()
    while (performance.now() < deadline) {
      const relayThrough = relays.forConnect(publicKey)
      let named = false
      const socket = dht.connect(publicKey, {
        keyPair,
        relayThrough: () => {
          const chosen = relayThrough()
          named = chosen !== null
          return chosen
        }
      })
      relayTried ||= named
      let socketError: (Error & { code?: string }) | null = null
      socket.on('error', (err: Error & { code?: string }) => { socketError = err })
      const control = openControlChannel(socket)
      let timer: ReturnType<typeof setTimeout> | undefined
      try {
        await Promise.race([
          control.opened,
          new Promise((_resolve, reject) => {
            const wait = Math.min(named ? RELAYED_ATTEMPT_TIMEOUT_MS : ATTEMPT_TIMEOUT_MS, deadline - performance.now())
            timer = setTimeout(() => reject(ClientError.TIMEOUT('connect', Math.round(wait))), wait)
          })
        ])
        return {
          dht,
          socket,
          control,
          connectMs: performance.now() - started,
          path: () => relays.path(socket),
          async close () {
            // End the stream so the node sees the goodbye instead of waiting out a timeout.
            // A socket that has already closed would never emit 'close' again.
            if (!socket.destroyed) {
              const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
              socket.end()
              const timer = setTimeout(() => socket.destroy(), 2000)
              await closed
              clearTimeout(timer)
            }
            if (ownDht) await dht.destroy()
          }
        }
      } catch (err) {
        socket.destroy()
        lastError = socketError ?? (err as Error & { code?: string })
        relays.failed(publicKey, lastError.code)
        if (isPunchFailure(lastError.code) && relays.keys.length === 0 && ++punchFailures >= PUNCH_ATTEMPTS) break
        if (named && RELAY_FAILURES.has(lastError.code ?? '')) break
        if (performance.now() >= deadline) break
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS))
      } finally {
        clearTimeout(timer)
      }
    }
  } catch (err) {
    lastError = err as Error & { code?: string }
  }
  if (ownDht) await dht.destroy({ force: true })
  const key = encodeKey(publicKey)
  const code = lastError.code ?? 'ERROR'
  const reason = `${code}: ${lastError.message.replace(/^[A-Z_]+: /, '')}`
  if (relayTried && RELAY_FAILURES.has(code)) throw ClientError.RELAY_FAILED(key, reason)
  if (isPunchFailure(code)) throw ClientError.HOLEPUNCH_FAILED(key, code)
  throw ClientError.UNREACHABLE(key, reason)
}
