// The main job, end to end on this machine: build the node, start a local testnet, a
// broker and the home node on Bare with the sensor bridge; a second node reaches it by
// public key; simulated sensors publish; a peer on the other side of the DHT prints
// the readings as they arrive, decrypting them, and reads them back after the sensors
// stop. The laptop backs a folder up to the home node and goes away; the phone finds
// the backup on the DHT and restores it from the home node, whose disk holds no
// plaintext. A stranger's key is refused. Everything is removed afterwards.
// It uses the household client (tools/client) and the harness (tools/harness) as any
// program would.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { connect as connectMqtt } from 'mqtt'
import { decodePayload } from '../../node/bridge/decode.ts'
import type { ReadingRecord } from '../../node/bridge/record.ts'
import { BRIDGE_DEFAULTS, type NodeConfigFile } from '../../node/config/types.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { backupFolder, restoreBackup } from '../client/backup.ts'
import { connectToNode } from '../client/connect.ts'
import { deviceAt } from '../client/device.ts'
import { listFeeds, openFeedReader, readingsFrom, readingsOf, type FeedReader } from '../client/feeds.ts'
import { startDemoBroker, type DemoBroker } from '../harness/demo-broker.ts'
import { HarnessError } from '../harness/errors.ts'
import { folderContains } from '../harness/folder-contains.ts'
import { buildLocal, launchNode, readyKey, thisMachineBoard } from '../harness/local-node.ts'
import type { NodeProcess } from '../harness/node-process.ts'
import { startTestnet, type Testnet } from '../harness/testnet.ts'
import { sleep } from '../harness/wait.ts'

const RULES = [
  { filter: 'home/+/temperature', feed: 'climate', decoder: 'number' as const },
  { filter: 'home/+/door', feed: 'doors', decoder: 'text' as const }
]

const PLAN: Array<[string, string]> = [
  ['home/kitchen/temperature', '21.4'], ['home/living/temperature', '20.9'], ['home/front/door', 'open'],
  ['home/kitchen/temperature', '21.6'], ['home/front/door', 'closed'], ['home/living/temperature', 'sensor-fault'],
  ['home/kitchen/temperature', '21.7'], ['home/living/temperature', '21.0']
]

// Runs the demo, telling its story through `say`; 0 when every check held.
export async function runDemo (say: (line: string) => void): Promise<number> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-demo-'))
  const nodes: NodeProcess[] = []
  const readers: Array<FeedReader & { name: string }> = []
  let testnet: Testnet | null = null
  let broker: DemoBroker | null = null
  try {
    const board = thisMachineBoard()
    say(`1. building the node for this machine (board ${board.id}, ${board.host}, Bare)`)
    const started = performance.now()
    const { outDir, manifest } = await buildLocal(board, 'bare', path.join(work, 'artifact'))
    say(`   built in ${((performance.now() - started) / 1000).toFixed(1)} s: bundle ${(manifest.bundle.bytes / 1024).toFixed(0)} KiB, ` +
      `${manifest.addons.length} native addons, Bare ${manifest.runtime.version}`)

    testnet = await startTestnet()
    const { bootstrap } = testnet
    broker = await startDemoBroker()
    say(`2. local HyperDHT testnet on loopback (bootstrap ${bootstrap[0]}) and ${broker.kind === 'mosquitto' ? 'Mosquitto' : 'an embedded aedes broker (Mosquitto is not installed)'} at ${broker.url}`)

    const laptop = deviceAt(path.join(work, 'operator'), { bootstrap })
    const operatorKey = encodeKey(laptop.keyPair.publicKey)
    const start = async (name: string, config: Partial<NodeConfigFile>): Promise<{ proc: NodeProcess, key: string }> => {
      const proc = launchNode({ artifactDir: outDir, runtime: 'bare', board, work, name, config: { pingIntervalMs: 1000, ...config } })
      nodes.push(proc)
      return { proc, key: await readyKey(proc) }
    }
    const home = await start('home', {
      bootstrap,
      operatorKey,
      roles: ['bridge', 'storage'],
      bridge: { broker: broker.url, caFile: null, clientId: null, username: null, password: null, rules: RULES, commandTopics: [], ...BRIDGE_DEFAULTS }
    })
    await home.proc.waitFor('broker-connected', 15_000)
    say(`3. home node on Bare, public key ${home.key}`)
    say(`   bridging ${RULES.map((r) => `${r.filter} → feed "${r.feed}" (${r.decoder})`).join(', ')}`)

    const second = await start('second', { bootstrap, peers: [home.key] })
    const reached = await second.proc.waitFor('peer-reached', 30_000)
    say(`4. a second node reached the home node by its public key alone: connected in ${reached.connectMs} ms, round trip ${reached.rttMs} ms`)

    const feeds = await listFeeds(laptop, home.key)
    say(`5. the household's laptop (operator key ${operatorKey.slice(0, 8)}…) lists the feeds and opens them over the DHT;`)
    say('   it decrypts each reading on its side as it arrives:')
    for (const feed of feeds) {
      const reader = await openFeedReader(laptop, feed.ref, { decrypt: true })
      readers.push(Object.assign(reader, { name: feed.name }))
      const cursor = { block: reader.core.length, skip: 0 }
      // One read at a time: two at once would both print the block the cursor is at.
      let reading = Promise.resolve()
      reader.core.on('append', () => {
        reading = reading.then(async () => {
          for await (const r of readingsFrom(reader, cursor)) say(`   [${feed.name}] ${formatReading(r)}`)
        })
      })
    }

    await publishSensors(broker.url, say)

    say('7. the sensors have stopped; the laptop reads the feeds back from the home node:')
    let total = 0
    for (const reader of readers) {
      const rows: string[] = []
      for await (const reading of readingsOf(reader)) rows.push(formatReading(reading))
      total += rows.length
      say(`   ${reader.name}: ${rows.length} readings: ${rows.map((r) => r.split('  ').slice(1).join(' ')).join(' | ')}`)
    }
    if (total !== PLAN.length) throw HarnessError.CHECK_FAILED(`expected ${PLAN.length} readings back, found ${total}`)
    for (const reader of readers.splice(0)) await reader.close()

    if (!(await backupAndRestore(work, laptop, home.key, bootstrap, say))) return 1

    const stranger = await connectToNode(deviceAt(path.join(work, 'stranger'), { bootstrap }), home.key)
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

async function publishSensors (brokerUrl: string, say: (line: string) => void): Promise<void> {
  const sensors = connectMqtt(brokerUrl, { clientId: 'roost-demo-sensors' })
  await new Promise<void>((resolve) => sensors.once('connect', () => resolve()))
  say('6. simulated sensors publish to the broker:')
  for (const [topic, payload] of PLAN) {
    await new Promise<void>((resolve, reject) => sensors.publish(topic, payload, { qos: 1 }, (err) => err ? reject(err) : resolve()))
    await sleep(250)
  }
  await sleep(500)
  await new Promise<void>((resolve) => sensors.end(false, {}, () => resolve()))
}

// The laptop backs a folder up to the home node; the phone, with only the reference,
// restores it. True when the copy matches and the node's disk holds no plaintext.
async function backupAndRestore (work: string, laptop: ReturnType<typeof deviceAt>, homeKey: string, bootstrap: string[], say: (line: string) => void): Promise<boolean> {
  const docs = path.join(work, 'laptop-documents')
  fs.mkdirSync(path.join(docs, 'taxes'), { recursive: true })
  const secret = 'household plaintext: the spare key is under the blue pot'
  fs.writeFileSync(path.join(docs, 'notes.txt'), secret + '\n')
  fs.writeFileSync(path.join(docs, 'taxes', '2026.pdf'), Buffer.alloc(200_000, 0x25))
  say('8. the laptop backs up a folder (2 files) to the home node, encrypted on the laptop:')
  const ref = await backupFolder(laptop, docs, homeKey, { timeoutMs: 600_000, say: (line) => say(`   ${line}`) })
  say(`   restore reference (carries the keys; keep it like a password): ${ref.slice(0, 40)}…`)
  say('   the laptop goes offline; the phone, holding only that reference, finds the backup on the DHT:')
  const restored = path.join(work, 'phone-restored')
  const phone = deviceAt(path.join(work, 'phone'), { bootstrap })
  const got = await restoreBackup(phone, ref, restored, { timeoutMs: 60_000, say: (line) => say(`   ${line}`) })
  const same = fs.readFileSync(path.join(restored, 'notes.txt'), 'utf8') === secret + '\n'
  say(`   restored ${got.files} files, ${got.bytes} bytes; notes.txt ${same ? 'matches' : 'DIFFERS'} the laptop's`)
  const leaked = folderContains(path.join(work, 'home'), 'spare key is under')
  say(`   the home node's storage folder ${leaked ? 'CONTAINS the plaintext: this is a bug' : 'holds none of the plaintext (searched every file)'}`)
  return same && !leaked
}

function formatReading (r: ReadingRecord): string {
  const decoded = decodePayload(r.decoder, r.payload)
  const value = decoded.error ? `raw "${Buffer.from(r.payload).toString()}" (${decoded.error})` : JSON.stringify(decoded.value.kind === 'raw' ? null : (decoded.value as { value: unknown }).value)
  return `${new Date(r.receivedAt).toISOString().slice(11, 23)}  ${r.topic}  ${value}`
}

