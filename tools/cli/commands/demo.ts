// The main job, end to end on this machine: build the node, start a local testnet, a
// broker and the home node on Bare with the sensor bridge; a second node reaches it by
// public key; simulated sensors publish; a peer on the other side of the DHT prints
// the readings as they arrive, decrypting them, and reads them back after the sensors
// stop. The laptop backs a folder up to the home node and goes away; the phone finds
// the backup on the DHT and restores it from the home node, whose disk holds no
// plaintext. A stranger's key is refused. Everything is removed afterwards.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import createTestnet from 'hyperdht/testnet.js'
import { connect as connectMqtt } from 'mqtt'
import { decodePayload } from '../../../node/bridge/decode.ts'
import { decodeReading } from '../../../node/bridge/record.ts'
import { BRIDGE_DEFAULTS } from '../../../node/config/types.ts'
import { loadOrCreateIdentity } from '../../../node/identity/identity.ts'
import { decodeKey, encodeKey } from '../../../node/identity/keys.ts'
import { defaultConfig } from '../../../targets/artifact.ts'
import type { CommandSpec, ParsedFlags } from '../args.ts'
import { startDemoBroker, type DemoBroker } from '../../harness/demo-broker.ts'
import { openFeedReader, type FeedReader } from '../../client/feed-reader.ts'
import { buildLocal, startNode, thisMachineBoard, writeConfig } from '../../harness/local-node.ts'
import { folderContains } from '../../harness/folder-contains.ts'
import { connectToNode } from '../../client/connect.ts'
import { backupFolder } from './backup.ts'
import { restoreBackup } from './restore.ts'
import { watchNode, type NodeProcess } from '../../harness/node-process.ts'
import { HarnessError } from '../../harness/errors.ts'

export const spec: CommandSpec = {
  name: 'demo',
  summary: 'Show roost\'s main job on this machine: build the node, start a local testnet, a broker\n' +
    'and nodes on Bare; sensor readings reach a peer over the DHT, encrypted end to end.',
  usage: 'roost demo',
  flags: {}
}

const say = (line: string): void => { process.stdout.write(line + '\n') }
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const RULES = [
  { filter: 'home/+/temperature', feed: 'climate', decoder: 'number' as const },
  { filter: 'home/+/door', feed: 'doors', decoder: 'text' as const }
]

export async function run (_flags: ParsedFlags): Promise<number> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-demo-'))
  const nodes: NodeProcess[] = []
  const readers: Array<FeedReader & { name: string }> = []
  let testnet: Awaited<ReturnType<typeof createTestnet>> | null = null
  let broker: DemoBroker | null = null
  try {
    const board = thisMachineBoard()
    say(`1. building the node for this machine (board ${board.id}, ${board.host}, Bare)`)
    const started = performance.now()
    const { outDir, manifest } = await buildLocal(board, 'bare', path.join(work, 'artifact'))
    say(`   built in ${((performance.now() - started) / 1000).toFixed(1)} s: bundle ${(manifest.bundle.bytes / 1024).toFixed(0)} KiB, ` +
      `${manifest.addons.length} native addons, Bare ${manifest.runtime.version}`)

    testnet = await createTestnet(3, { host: '127.0.0.1' })
    const bootstrap = testnet.bootstrap.map((b) => `${b.host}:${b.port}`)
    broker = await startDemoBroker()
    say(`2. local HyperDHT testnet on loopback (bootstrap ${bootstrap[0]}) and ${broker.kind === 'mosquitto' ? 'Mosquitto' : 'an embedded aedes broker (Mosquitto is not installed)'} at ${broker.url}`)

    const operatorDir = path.join(work, 'operator')
    const operatorKey = encodeKey(loadOrCreateIdentity(operatorDir).keyPair.publicKey)
    const home = await launch(outDir, work, 'home', board, {
      bootstrap,
      operatorKey,
      roles: ['bridge', 'storage'],
      bridge: { broker: broker.url, caFile: null, clientId: null, username: null, password: null, rules: RULES, commandTopics: [], ...BRIDGE_DEFAULTS }
    })
    nodes.push(home.proc)
    await home.proc.waitFor('broker-connected', 15_000)
    say(`3. home node on Bare, public key ${home.key}`)
    say(`   bridging ${RULES.map((r) => `${r.filter} → feed "${r.feed}" (${r.decoder})`).join(', ')}`)

    const second = await launch(outDir, work, 'second', board, { bootstrap, peers: [home.key] })
    nodes.push(second.proc)
    const reached = await second.proc.waitFor('peer-reached', 30_000)
    say(`4. a second node reached the home node by its public key alone: connected in ${reached.connectMs} ms, round trip ${reached.rttMs} ms`)

    const client = { bootstrap, identity: operatorDir }
    const session = await connectToNode(client, home.key)
    const { feedKey, feeds } = await session.control.feeds()
    await session.close()
    say(`5. the household's laptop (operator key ${operatorKey.slice(0, 8)}…) lists the feeds and opens them over the DHT;`)
    say('   it decrypts each reading on its side as it arrives:')
    for (const feed of feeds) {
      const reader = await openFeedReader(client, { name: feed.name, nodeKey: decodeKey('node key', home.key), coreKey: feed.key, feedKey }, { decrypt: true })
      readers.push(Object.assign(reader, { name: feed.name }))
      let next = reader.core.length
      reader.core.on('append', () => {
        void (async () => {
          while (next < reader.core.length) {
            const block = await reader.core.get(next++)
            if (block) say(`   [${feed.name}] ${formatReading(decodeReading(block))}`)
          }
        })()
      })
    }

    const sensors = connectMqtt(broker.url, { clientId: 'roost-demo-sensors' })
    await new Promise<void>((resolve) => sensors.once('connect', () => resolve()))
    say('6. simulated sensors publish to the broker:')
    const plan: Array<[string, string]> = [
      ['home/kitchen/temperature', '21.4'], ['home/living/temperature', '20.9'], ['home/front/door', 'open'],
      ['home/kitchen/temperature', '21.6'], ['home/front/door', 'closed'], ['home/living/temperature', 'sensor-fault'],
      ['home/kitchen/temperature', '21.7'], ['home/living/temperature', '21.0']
    ]
    for (const [topic, payload] of plan) {
      await new Promise<void>((resolve, reject) => sensors.publish(topic, payload, { qos: 1 }, (err) => err ? reject(err) : resolve()))
      await sleep(250)
    }
    await sleep(500)
    await new Promise<void>((resolve) => sensors.end(false, {}, () => resolve()))

    say('7. the sensors have stopped; the laptop reads the feeds back from the home node:')
    let total = 0
    for (const reader of readers) {
      const rows: string[] = []
      for (let i = 0; i < reader.core.length; i++) {
        const block = await reader.core.get(i)
        if (block) rows.push(formatReading(decodeReading(block)))
      }
      total += rows.length
      say(`   ${reader.name}: ${reader.core.length} readings: ${rows.map((r) => r.split('  ').slice(1).join(' ')).join(' | ')}`)
    }
    if (total !== plan.length) throw HarnessError.CHECK_FAILED(`expected ${plan.length} readings back, found ${total}`)
    for (const reader of readers.splice(0)) await reader.close()

    const docs = path.join(work, 'laptop-documents')
    fs.mkdirSync(path.join(docs, 'taxes'), { recursive: true })
    const secret = 'household plaintext: the spare key is under the blue pot'
    fs.writeFileSync(path.join(docs, 'notes.txt'), secret + '\n')
    fs.writeFileSync(path.join(docs, 'taxes', '2026.pdf'), Buffer.alloc(200_000, 0x25))
    say('8. the laptop backs up a folder (2 files) to the home node, encrypted on the laptop:')
    const ref = await backupFolder(client, docs, home.key, (line) => say(`   ${line}`))
    say(`   restore reference (carries the keys; keep it like a password): ${ref.slice(0, 40)}…`)
    say('   the laptop goes offline; the phone, holding only that reference, finds the backup on the DHT:')
    const restored = path.join(work, 'phone-restored')
    const got = await restoreBackup({ bootstrap, identity: path.join(work, 'phone') }, ref, restored, (line) => say(`   ${line}`))
    const same = fs.readFileSync(path.join(restored, 'notes.txt'), 'utf8') === secret + '\n'
    say(`   restored ${got.files} files, ${got.bytes} bytes; notes.txt ${same ? 'matches' : 'DIFFERS'} the laptop's`)
    const leaked = folderContains(path.join(work, 'home'), 'spare key is under')
    say(`   the home node's storage folder ${leaked ? 'CONTAINS the plaintext: this is a bug' : 'holds none of the plaintext (searched every file)'}`)
    if (!same || leaked) return 1

    const stranger = await connectToNode({ bootstrap, identity: path.join(work, 'stranger') }, home.key)
    try {
      await stranger.control.feeds()
      say('   a stranger listed the feeds: this is a bug')
      return 1
    } catch (err) {
      const e = err as Error & { code?: string }
      say(`9. a stranger's key asks for the feeds and is refused: ${e.code}: ${e.message}`)
    } finally {
      await stranger.close()
    }

    for (const node of nodes.splice(0).reverse()) {
      const { code } = await node.stop()
      if (code !== 0) throw HarnessError.CHECK_FAILED(`a node exited with ${code} on SIGTERM`)
    }
    say('10. both nodes stopped cleanly on SIGTERM; demo done')
    return 0
  } finally {
    for (const reader of readers) await reader.close().catch(() => {})
    for (const node of nodes) await node.stop()
    await broker?.stop()
    await testnet?.destroy()
    fs.rmSync(work, { recursive: true, force: true })
  }
}

function formatReading (r: ReturnType<typeof decodeReading>): string {
  const decoded = decodePayload(r.decoder, r.payload)
  const value = decoded.error ? `raw "${Buffer.from(r.payload).toString()}" (${decoded.error})` : JSON.stringify(decoded.value.kind === 'raw' ? null : (decoded.value as { value: unknown }).value)
  return `${new Date(r.receivedAt).toISOString().slice(11, 23)}  ${r.topic}  ${value}`
}

async function launch (artifactDir: string, work: string, name: string, board: ReturnType<typeof thisMachineBoard>,
  overrides: Partial<Parameters<typeof writeConfig>[1]>): Promise<{ proc: NodeProcess, key: string }> {
  const configFile = path.join(work, `${name}.json`)
  writeConfig(configFile, { ...defaultConfig(board), storage: path.join(work, name), roles: [], pingIntervalMs: 1000, ...overrides })
  const proc = watchNode(startNode(artifactDir, 'bare', configFile, 'pipe'))
  const ready = await proc.waitFor('ready', 30_000)
  return { proc, key: String(ready.publicKey) }
}
