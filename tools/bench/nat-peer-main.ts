// The two ends of the nat section's throughput and relay-memory measurements, run
// inside a lab's home namespaces (netlab.ts) as `node --import tsx nat-peer-main.ts
// MODE ...`. Plain HyperDHT streams, so that what is measured is the path (direct or
// through the relay), not hypercore. One JSON line per event on stdout.
// Every mode's DHT has the key pair of SEED (64 hex characters), so a relay can trust it.
//   serve SEED BOOTSTRAP                        a server on that key; reads each connection
//                                               to its end, answers its byte count
//   send SEED BOOTSTRAP NODE_KEY MIB [--relay KEY]   sends MIB MiB, reports MiB/s
//   hold SEED BOOTSTRAP NODE_KEY COUNT --relay KEY   opens COUNT relayed connections, holds them
import b4a from 'b4a'
import HyperDHT from 'hyperdht'
import type { NoiseSecretStream } from 'hyperdht'
import { parseBootstrap } from '../../node/config/bootstrap.ts'
import { decodeKey, encodeKey } from '../../node/identity/keys.ts'
import { useRelays } from '../../node/network/relays.ts'
import { HarnessError } from '../harness/errors.ts'

const CHUNK = 64 * 1024

function say (event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), event, ...fields }) + '\n')
}

function flag (name: string): string | null {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? null : process.argv[i + 1]
}

async function serve (dht: HyperDHT): Promise<void> {
  const server = dht.createServer((socket: NoiseSecretStream) => {
    let bytes = 0
    socket.on('error', () => {})
    socket.on('data', (data: Uint8Array) => { bytes += data.byteLength })
    socket.on('end', () => {
      socket.write(b4a.from(String(bytes)))
      socket.end()
    })
  })
  await server.listen(dht.defaultKeyPair)
  say('serving', { key: encodeKey(dht.defaultKeyPair.publicKey) })
}

function opened (socket: NoiseSecretStream): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
    socket.once('close', () => reject(HarnessError.CHECK_FAILED('the stream closed before it opened')))
  })
}

async function send (node: Uint8Array, dht: HyperDHT, mib: number, relay: Uint8Array | null): Promise<void> {
  const relays = useRelays(dht, relay ? [relay] : [])
  const socket = dht.connect(node, { relayThrough: relay })
  await opened(socket)
  const path = relays.path(socket).relay === null ? 'direct' : 'relayed'
  const chunk = b4a.alloc(CHUNK, 7)
  const total = mib * 1024 * 1024
  const answer = new Promise<number>((resolve, reject) => {
    let text = ''
    socket.on('data', (data: Uint8Array) => { text += b4a.toString(data) })
    socket.on('end', () => resolve(Number(text)))
    socket.on('error', reject)
  })
  const started = performance.now()
  for (let sent = 0; sent < total; sent += CHUNK) {
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve))
  }
  socket.end()
  const received = await answer
  const seconds = (performance.now() - started) / 1000
  say('sent', { path, bytes: total, received, seconds, mibPerS: mib / seconds, stillRelayed: relays.path(socket).relay !== null })
}

async function hold (node: Uint8Array, dht: HyperDHT, count: number, relay: Uint8Array): Promise<void> {
  const relays = useRelays(dht, [relay])
  // Each from a key of its own: the server sees that many peers, the relay one key (this
  // DHT's) with that many sessions. A connection the relay did not pair (RELAY_ABORTED,
  // or HOLEPUNCH_ABORTED first; it failed the step in 1 of 4 bench runs and once in CI)
  // is opened again, as the roost client does (tools/client/connect.ts), up to 3 times.
  const holdOne = async (): Promise<NoiseSecretStream> => {
    for (let attempt = 1; ; attempt++) {
      const socket = dht.connect(node, { keyPair: HyperDHT.keyPair(), relayThrough: relay })
      socket.on('error', () => {})
      try {
        await opened(socket)
        return socket
      } catch (err) {
        socket.destroy()
        if (attempt === 3) throw err
      }
    }
  }
  const sockets = await Promise.all(Array.from({ length: count }, holdOne))
  say('holding', { connections: sockets.length, relayed: sockets.filter((s) => relays.path(s).relay !== null).length })
}

async function main (): Promise<void> {
  const [mode, seed, bootstrap, nodeKey, amount] = process.argv.slice(2)
  const relayKey = flag('relay')
  const relay = relayKey === null ? null : decodeKey('--relay', relayKey)
  const dht = new HyperDHT({ bootstrap: [parseBootstrap(bootstrap)], keyPair: HyperDHT.keyPair(b4a.from(seed, 'hex')) })
  await dht.fullyBootstrapped()
  const stop = async (): Promise<void> => {
    await dht.destroy({ force: true })
    process.exit(0)
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  if (mode === 'serve') await serve(dht)
  else if (mode === 'send') {
    await send(decodeKey('node key', nodeKey), dht, Number(amount), relay)
    await stop()
  } else if (mode === 'hold' && relay !== null) await hold(decodeKey('node key', nodeKey), dht, Number(amount), relay)
  else say('usage', { reason: `unknown mode ${mode}` })
}

main().catch((err: Error & { code?: string }) => {
  say('failed', { code: err.code ?? 'ERROR', reason: err.message })
  process.exit(1)
})
