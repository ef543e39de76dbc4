// A QoS 0 burst many times the bridge intake's bound, into the real Bare node from a
// real Mosquitto: the node stops reading while its readings are stored, and in the end
// every reading is in the feed once and in order.
import fs from 'node:fs'
import test from 'ava'
import { MAX_UNSETTLED_READINGS } from '../../node/bridge/intake.ts'
import { meterBridge, meterPublisher, readMeterFeed as readFeed } from '../helpers/bridge.ts'
import { startMosquitto } from '../helpers/mosquitto.ts'
import { startTestnet } from '../helpers/testnet.ts'

test('a QoS 0 burst 20 times the intake\'s bound is stored whole and in order on Bare', async (t) => {
  // Nothing is dropped for a queue limit, and QoS 0 readings published while the node
  // restarts wait in its session: a missing reading is the node's fault.
  const broker = await startMosquitto(t, ['max_queued_messages 0', 'queue_qos0_messages true'])
  const { bootstrap } = await startTestnet(t)
  const bridge = await meterBridge(t, broker.url, 'roost-burst', bootstrap)
  let node = await bridge.start()
  await broker.waitForLog(/ roost-burst 1 meter\/#$/)

  const COUNT = 20 * MAX_UNSETTLED_READINGS
  const publisher = await meterPublisher(t, broker.url, 'roost-burst-publisher')
  for (let n = 0; n < COUNT; n++) {
    if (n % 1000 !== 999) {
      publisher.publish('meter/reading', String(n), { qos: 0 })
      continue
    }
    // Once the socket has taken a thousand, let the event loop turn.
    await new Promise<void>((resolve, reject) => publisher.publish('meter/reading', String(n), { qos: 0 }, (err) => err ? reject(err) : resolve()))
  }

  const storage = bridge.dataDir
  const deadline = Date.now() + 60_000
  let numbers: number[] = []
  let peakRssKb = 0
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2000))
    peakRssKb = Math.max(peakRssKb, Number(/^VmHWM:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${node.child.pid}/status`, 'utf8'))?.[1] ?? 0))
    t.is((await node.stop(3000)).code, 0)
    numbers = await readFeed(storage)
    if (numbers.length >= COUNT || Date.now() > deadline) break
    node = await bridge.start()
  }
  t.log(`${COUNT} published, ${numbers.length} in the feed; node peak RSS ${Math.round(peakRssKb / 1024)} MiB`)
  t.deepEqual(numbers, Array.from({ length: COUNT }, (_, n) => n))
  t.deepEqual(node.events.filter((e) => e.event === 'reading-not-stored'), [])
})
