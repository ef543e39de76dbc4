// Nothing acknowledged is lost: 20 times the node on Bare is killed with SIGKILL in the
// middle of a QoS 1 stream of numbered readings. Afterwards every reading the broker
// acknowledged to the publisher is in the feed exactly once.
import test from 'ava'
import { meterBridge, meterPublisher, readMeterFeed as readFeed } from '../helpers/bridge.ts'
import { publish, startMosquitto } from '../helpers/mosquitto.ts'
import { startTcpProxy } from '../helpers/tcp-proxy.ts'
import { startTestnet } from '../helpers/testnet.ts'

const CYCLES = 20

test('20 SIGKILLs during a QoS 1 stream lose no acknowledged reading and store none twice', async (t) => {
  // Unlimited queue: readings published while the node is down wait in its session.
  const broker = await startMosquitto(t, ['max_queued_messages 0', 'max_inflight_messages 20'])
  const { bootstrap } = await startTestnet(t)
  const bridge = await meterBridge(t, broker.url, 'roost-durability', bootstrap)

  // The node's first connection creates its session; only then can the broker keep
  // readings for it while it is down.
  const first = await bridge.start()
  await broker.waitForLog(/ roost-durability 1 meter\/#$/)
  await first.stop(3000)

  const acked = new Set<number>()
  const publisher = await meterPublisher(t, broker.url, 'roost-durability-publisher')
  let next = 0
  let publishing = true
  const stream = (async () => {
    while (publishing) {
      const n = next++
      publisher.publish('meter/reading', String(n), { qos: 1 }, (err) => { if (!err) acked.add(n) })
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  })()

  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const node = await bridge.start()
    // Let it take readings for a while, then pull the plug mid-stream.
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(Math.random() * 300)))
    node.child.kill('SIGKILL')
    t.is((await node.exited()).signal, 'SIGKILL')
  }
  publishing = false
  await stream
  await new Promise((resolve) => setTimeout(resolve, 200))
  const published = next
  t.log(`${published} readings published, ${acked.size} acknowledged by the broker, ${CYCLES} kills`)

  // A last, clean run drains what the broker still holds for the node's session.
  const node = await bridge.start()
  const storage = bridge.dataDir
  const deadline = Date.now() + 30_000
  let numbers: number[] = []
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    const { code } = await node.stop(3000)
    t.is(code, 0)
    numbers = await readFeed(storage)
    t.log(`drain: feed ${numbers.length}, events ${node.events.map((e) => e.event).join(',')}`)
    if ([...acked].every((n) => numbers.includes(n)) || Date.now() > deadline) break
    node.child.kill('SIGKILL')
    Object.assign(node, await bridge.start())
  }

  const missing = [...acked].filter((n) => !numbers.includes(n))
  const seen = new Map<number, number>()
  for (const n of numbers) seen.set(n, (seen.get(n) ?? 0) + 1)
  const twice = [...seen].filter(([, count]) => count > 1).map(([n]) => n)
  t.log(`feed holds ${numbers.length} readings`)
  if (missing.length > 0) t.log(`missing: ${ranges(missing.sort((a, b) => a - b))}`)
  t.deepEqual(missing, [], 'every reading the broker acknowledged is in the feed')
  t.deepEqual(twice, [], 'no reading is in the feed twice')
})

test('a reading stored but not acknowledged before a crash is not stored twice when the broker redelivers it', async (t) => {
  const broker = await startMosquitto(t)
  // Between node and broker: lets the broker's messages through but can swallow the
  // node's PUBACKs, as a link that fails right after the node stored the readings.
  const proxy = await startTcpProxy(t, broker.port)
  const { bootstrap } = await startTestnet(t)
  const bridge = await meterBridge(t, `mqtt://127.0.0.1:${proxy.port}`, 'roost-redelivery', bootstrap)
  let node = await bridge.start()
  await broker.waitForLog(/ roost-redelivery 1 meter\/#$/)

  proxy.holdUpstream = true
  for (let n = 0; n < 5; n++) await publish(broker, 'meter/reading', String(n))
  const storage = bridge.dataDir
  // Wait until the node has stored all five (its PUBACKs go nowhere), then kill it.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  node.child.kill('SIGKILL')
  await node.exited()
  t.deepEqual(await readFeed(storage), [0, 1, 2, 3, 4], 'stored before the crash')
  proxy.dropConnections()
  proxy.holdUpstream = false

  node = await bridge.start()
  await publish(broker, 'meter/reading', '5')
  await new Promise((resolve) => setTimeout(resolve, 1000))
  t.is((await node.stop(3000)).code, 0)
  // The broker sent 0–4 again (DUP); the feed still holds each once, then 5.
  t.deepEqual(await readFeed(storage), [0, 1, 2, 3, 4, 5])
})

test('SIGKILLs while 100 QoS 1 readings are in flight and stored in batches lose no acknowledged reading and store none twice', async (t) => {
  // The broker lets 100 messages to the node go unacknowledged at once, so each kill
  // lands while a batch of them is between arrival, append and PUBACK.
  const WINDOW = 100
  const broker = await startMosquitto(t, ['max_queued_messages 0', `max_inflight_messages ${WINDOW}`])
  const { bootstrap } = await startTestnet(t)
  const bridge = await meterBridge(t, broker.url, 'roost-durability-batch', bootstrap)
  const first = await bridge.start()
  await broker.waitForLog(/ roost-durability-batch 1 meter\/#$/)

  // WINDOW at a time, about as fast as the node stores them (5,000 a second), so the
  // broker's queue for the node stays short and the last run can drain it.
  const acked = new Set<number>()
  const publisher = await meterPublisher(t, broker.url, 'roost-durability-batch-publisher')
  let next = 0
  let publishing = true
  let window = 0
  const stream = (async () => {
    while (publishing) {
      if (window >= WINDOW) {
        await new Promise((resolve) => setTimeout(resolve, 1))
        continue
      }
      const n = next++
      window++
      publisher.publish('meter/reading', String(n), { qos: 1 }, (err) => {
        window--
        if (!err) acked.add(n)
      })
      if (n % WINDOW === WINDOW - 1) await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })()

  const storage = bridge.dataDir
  let node = first
  for (let cycle = 0; cycle < 5; cycle++) {
    await new Promise((resolve) => setTimeout(resolve, 200 + Math.floor(Math.random() * 300)))
    node.child.kill('SIGKILL')
    t.is((await node.exited()).signal, 'SIGKILL')
    node = await bridge.start()
  }
  publishing = false
  await stream
  await new Promise((resolve) => setTimeout(resolve, 200))

  // The last node drains what the broker still holds for its session.
  const deadline = Date.now() + 60_000
  let numbers: number[] = []
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 3000))
    t.is((await node.stop(3000)).code, 0)
    numbers = await readFeed(storage)
    if ([...acked].every((n) => numbers.includes(n)) || Date.now() > deadline) break
    node = await bridge.start()
  }

  const missing = [...acked].filter((n) => !numbers.includes(n))
  const seen = new Map<number, number>()
  for (const n of numbers) seen.set(n, (seen.get(n) ?? 0) + 1)
  const twice = [...seen].filter(([, count]) => count > 1).map(([n]) => n)
  t.log(`${next} readings published, ${acked.size} acknowledged by the broker, 5 kills; feed holds ${numbers.length}`)
  if (missing.length > 0) t.log(`missing: ${ranges(missing.sort((a, b) => a - b))}`)
  t.true(acked.size > 5 * WINDOW, 'the stream kept the window full')
  t.deepEqual(missing, [], 'every reading the broker acknowledged is in the feed')
  t.deepEqual(twice, [], 'no reading is in the feed twice')
})

function ranges (sorted: number[]): string {
  const out: string[] = []
  for (let i = 0; i < sorted.length;) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`)
    i = j + 1
  }
  return out.slice(0, 30).join(' ') + (out.length > 30 ? ` … (${out.length} ranges)` : '')
}
