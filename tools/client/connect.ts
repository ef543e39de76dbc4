// Shared by the commands that talk to a node over the DHT: bootstrap flags, the
// client's own identity and a control channel to a node by public key.
import type HyperDHT from 'hyperdht'
import type { NoiseSecretStream } from 'hyperdht'
import { parseBootstrap, type BootstrapNode } from '../../node/config/bootstrap.ts'
import { openControlChannel, type ControlChannel } from '../../node/protocol/channel.ts'
import { createDht } from '../../node/network/dht.ts'
import { ClientError } from './errors.ts'
import { loadOrCreateIdentity, type KeyPair } from '../../node/identity/identity.ts'
import { decodeKey, encodeKey } from '../../node/identity/keys.ts'
import { listFlag, stringFlag, type FlagSpec, type ParsedFlags } from '../cli/args.ts'
import { clientIdentityDir } from '../cli/paths.ts'

export const NETWORK_FLAGS: Record<string, FlagSpec> = {
  bootstrap: { type: 'string', multiple: true, value: 'HOST:PORT', help: 'DHT bootstrap node; default: the public HyperDHT bootstrap nodes' },
  host: { type: 'string', value: 'ADDRESS', help: 'address the DHT binds to; default: 127.0.0.1 for a loopback bootstrap, else all' },
  identity: { type: 'string', value: 'DIR', help: 'folder of this client\'s identity (default: ~/.local/share/roost/client)' }
}

export function bootstrapFlags (flags: ParsedFlags): BootstrapNode[] {
  return listFlag(flags, 'bootstrap').map(parseBootstrap)
}

export function clientIdentity (flags: ParsedFlags): KeyPair {
  return loadOrCreateIdentity(stringFlag(flags, 'identity') ?? clientIdentityDir()).keyPair
}

export interface NodeSession {
  dht: HyperDHT
  socket: NoiseSecretStream
  control: ControlChannel
  connectMs: number
  close (): Promise<void>
}

const CONNECT_TIMEOUT_MS = 20_000
const RETRY_DELAY_MS = 500
// One attempt that hangs (a handshake lost on a busy machine) is abandoned and retried.
const ATTEMPT_TIMEOUT_MS = 5000

// Connects to a node by key, retrying failed attempts (a node that has just started
// may not be found yet; a busy board may let a first handshake time out) until the
// deadline; the last attempt's reason is reported.
export async function connectToNode (flags: ParsedFlags, nodeKey: string): Promise<NodeSession> {
  const publicKey = decodeKey('node key', nodeKey)
  const bootstrap = bootstrapFlags(flags)
  const keyPair = clientIdentity(flags)
  const dht = createDht({ bootstrap, host: stringFlag(flags, 'host') ?? null, ephemeral: true })
  const started = performance.now()
  const deadline = started + CONNECT_TIMEOUT_MS
  let lastError: Error & { code?: string } = ClientError.TIMEOUT('connect', CONNECT_TIMEOUT_MS)
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
          await dht.destroy()
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
  await dht.destroy({ force: true })
  throw ClientError.UNREACHABLE(encodeKey(publicKey), `${lastError.code ?? 'ERROR'}: ${lastError.message.replace(/^[A-Z_]+: /, '')}`)
}
