// A QoS 0 burst many times the bridge intake's bound, into the real Bare node from a
// real Mosquitto: the node stops reading while its readings are stored, and in the end
// every reading is in the feed once and in order.
import fs from 'node:fs'
import path from 'node:path'
import test from 'ava'
import Corestore from 'corestore'
import { connect, type MqttClient } from 'mqtt'
import { MAX_UNSETTLED_READINGS } from '../node/bridge/intake.ts'
import { decodeReading } from '../node/bridge/record.ts'
import { FEED_NAMESPACE } from '../node/feeds/feeds.ts'
import { loadOrCreateFeedKey } from '../node/feeds/feed-key.ts'
import { loadBoard } from '../tools/boards.ts'
import { buildLocal } from '../tools/local-node.ts'
import { startMosquitto } from './helpers/mosquitto.ts'
import { meterBridgeConfig } from './helpers/bridge.ts'
import { launchNode } from './helpers/nodes.ts'
import { startTestnet } from './helpers/testnet.ts'
import { tmpDir } from './helpers/tmp.ts'

test('a QoS 0 burst 20 times the intake\'s bound is stored whole and in order on Bare', async (t) => {
  const board = loadBoard('x86-64-mini-pc')
  const work = tmpDir(t)
  const { outDir } = await buildLocal(board, 'bare', path.join(work, 'artifact'))
  // Nothing is dropped for a queue limit, and QoS 0 readings published while the node
  // restarts wait in its session: a missing reading is the node's fault.
  const broker = await startMosquitto(t, ['max_queued_messages 0', 'queue_qos0_messages true'])
  const { bootstrap } = await startTestnet(t)
  const config = meterBridgeConfig(broker.url, 'roost-burst', bootstrap)
  let node = launchNode(t, { artifactDir: outDir, runtime: 'bare', board, work, name: 'home', config })
  await node.waitFor('broker-connected', 20_000)
  await broker.waitForLog(/ roost-burst 1 meter\/#$/)

  const COUNT = 20 * MAX_UNSETTLED_READINGS
  const publisher: MqttClient = connect(broker.url, { clientId: 'roost-burst-publisher' })
  t.teardown(() => { publisher.end(true) })
  await new Promise<void>((resolve) => publisher.once('connect', () => resolve()))
  for (let n = 0; n < COUNT; n++) {
    if (n % 1000 !== 999) {
      publisher.publish('meter/reading', String(n), { qos: 0 })
      continue
    }
    // Once the socket has taken a thousand, let the event loop turn.
    await new Promise<void>((resolve, reject) => publisher.publish('meter/reading', String(n), { qos: 0 }, (err) => err ? reject(err) : resolve()))
  }

  const storage = path.join(work, 'home')
  const deadline = Date.now() + 60_000
  let numbers: number[] = []
  let peakRssKb = 0
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2000))
    peakRssKb = Math.max(peakRssKb, Number(/^VmHWM:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${node.child.pid}/status`, 'utf8'))?.[1] ?? 0))
    t.is((await node.stop(3000)).code, 0)
    numbers = await readFeed(storage)
    if (numbers.length >= COUNT || Date.now() > deadline) break
    node = launchNode(t, { artifactDir: outDir, runtime: 'bare', board, work, name: 'home', config })
    await node.waitFor('broker-connected', 20_000)
  }
  t.log(`${COUNT} published, ${numbers.length} in the feed; node peak RSS ${Math.round(peakRssKb / 1024)} MiB`)
  t.deepEqual(numbers, Array.from({ length: COUNT }, (_, n) => n))
  t.deepEqual(node.events.filter((e) => e.event === 'reading-not-stored'), [])
})

async function readFeed (storage: string): Promise<number[]> {
  const store = new Corestore(path.join(storage, 'cores')) as unknown as {
    get (o: object): { ready (): Promise<void>, length: number, get (i: number): Promise<Uint8Array>, close (): Promise<void> }
    close (): Promise<void>
  }
  const core = store.get({ name: FEED_NAMESPACE + 'meter', encryption: { key: loadOrCreateFeedKey(storage) } })
  await core.ready()
  const numbers: number[] = []
  for (let i = 0; i < core.length; i++) numbers.push(Number(Buffer.from(decodeReading(await core.get(i)).payload).toString()))
  await core.close()
  await store.close()
  return numbers
}
