// A control channel to a node by its public key over HyperDHT, for every part of the
// household client: retried until the node is found or the deadline passes.
import type HyperDHT from 'hyperdht'
import type { NoiseSecretStream } from 'hyperdht'
import { openControlChannel, type ControlChannel } from '../../node/protocol/channel.ts'
import { createDht } from '../../node/network/dht.ts'
import { decodeKey, encodeKey } from '../../node/identity/keys.ts'
import type { Device } from './device.ts'
import { ClientError } from './errors.ts'

export interface NodeSession {
  dht: HyperDHT
  socket: NoiseSecretStream
  control: ControlChannel
  connectMs: number
  close (): Promise<void>
}

export const CONNECT_TIMEOUT_MS = 20_000
const RETRY_DELAY_MS = 500
// One attempt that hangs (a handshake lost on a busy machine) is abandoned and retried.
const ATTEMPT_TIMEOUT_MS = 5000

// Connects to a node by key, retrying failed attempts (a node that has just started
// may not be found yet; a busy board may let a first handshake time out) until the
// deadline; the last attempt's reason is reported.
// `dht`: use this DHT node instead of a fresh ephemeral one (a program that already has
// one); the session then leaves it open when it closes.
export async function connectToNode (device: Pick<Device, 'keyPair' | 'bootstrap' | 'host'>, nodeKey: string | Uint8Array, opts: { timeoutMs?: number, dht?: HyperDHT } = {}): Promise<NodeSession> {
  const publicKey = typeof nodeKey === 'string' ? decodeKey('node key', nodeKey) : nodeKey
  const { keyPair } = device
  const timeoutMs = opts.timeoutMs ?? CONNECT_TIMEOUT_MS
  const ownDht = opts.dht === undefined
  const dht = opts.dht ?? createDht({ bootstrap: device.bootstrap, host: device.host, ephemeral: true })
  const started = performance.now()
  const deadline = started + timeoutMs
  let lastError: Error & { code?: string } = ClientError.TIMEOUT('connect', timeoutMs)
  while (performance.now() < deadline) {
    const socket = dht.connect(publicKey, { keyPair })
    let socketError: (Error & { code?: string }) | null = null
    socket.on('error', (err: Error & { code?: string }) => { socketError = err })
    const control = openControlChannel(socket)
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      await Promise.race([
        control.opened,
        new Promise((_resolve, reject) => {
          const wait = Math.min(ATTEMPT_TIMEOUT_MS, deadline - performance.now())
          timer = setTimeout(() => reject(ClientError.TIMEOUT('connect', Math.round(wait))), wait)
        })
      ])
      return {
        dht,
        socket,
        control,
        connectMs: performance.now() - started,
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
      if (performance.now() >= deadline) break
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS))
    } finally {
      clearTimeout(timer)
    }
  }
  if (ownDht) await dht.destroy({ force: true })
  throw ClientError.UNREACHABLE(encodeKey(publicKey), `${lastError.code ?? 'ERROR'}: ${lastError.message.replace(/^[A-Z_]+: /, '')}`)
}
