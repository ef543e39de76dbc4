// Shared by the commands that talk to a node over the DHT: bootstrap flags, the
// client's own identity and a control channel to a node by public key.
import type HyperDHT from 'hyperdht'
import type { NoiseSecretStream } from 'hyperdht'
import { parseBootstrap, type BootstrapNode } from '../node/config.ts'
import { openControlChannel, type ControlChannel } from '../node/control/channel.ts'
import { createDht } from '../node/dht.ts'
import { NodeError } from '../node/errors.ts'
import { loadOrCreateIdentity, type KeyPair } from '../node/identity.ts'
import { decodeKey, encodeKey } from '../node/keys.ts'
import { listFlag, stringFlag, type FlagSpec, type ParsedFlags } from './args.ts'
import { clientIdentityDir } from './paths.ts'

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

export async function connectToNode (flags: ParsedFlags, nodeKey: string): Promise<NodeSession> {
  const publicKey = decodeKey('node key', nodeKey)
  const keyPair = clientIdentity(flags)
  const dht = createDht({ bootstrap: bootstrapFlags(flags), host: stringFlag(flags, 'host') ?? null })
  const started = performance.now()
  const socket = dht.connect(publicKey, { keyPair })
  let socketError: (Error & { code?: string }) | null = null
  socket.on('error', (err: Error & { code?: string }) => { socketError = err })
  const control = openControlChannel(socket)
  const close = async (): Promise<void> => {
    socket.destroy()
    await dht.destroy({ force: true })
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await Promise.race([
      control.opened,
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(NodeError.TIMEOUT('connect', CONNECT_TIMEOUT_MS)), CONNECT_TIMEOUT_MS)
      })
    ])
  } catch (err) {
    await close()
    const cause = socketError ?? (err as Error & { code?: string })
    throw NodeError.UNREACHABLE(encodeKey(publicKey), `${cause.code ?? 'ERROR'}: ${cause.message.replace(/^[A-Z_]+: /, '')}`)
  } finally {
    clearTimeout(timer)
  }
  return { dht, socket, control, connectMs: performance.now() - started, close }
}
