// The broker's side of "nothing lost": with Mosquitto's queue limit, QoS 1 readings
// published while the node is away beyond that many are dropped by the broker. The node
// cannot get them back, but it says so in its log (and its health's last errors) as soon
// as the broker's $SYS count shows it, and not when nothing was dropped.
import test from 'ava'
import { meterBridge, meterPublisher, readMeterFeed } from '../helpers/bridge.ts'
import { startMosquitto } from '../helpers/mosquitto.ts'
import { startTestnet } from '../helpers/testnet.ts'

const LIMIT = 10
const PUBLISHED = 30

test('readings the broker dropped while the node was away are reported when it is back, with the settings that prevent it', async (t) => {
  // sys_interval 1: the broker publishes its $SYS counts every second instead of every 10.
  const broker = await startMosquitto(t, [`max_queued_messages ${LIMIT}`, 'sys_interval 1'])
  const { bootstrap } = await startTestnet(t)
  const bridge = await meterBridge(t, broker.url, 'roost-drops', bootstrap)
  let node = await bridge.start()
  await broker.waitForLog(/ roost-drops 1 meter\/#$/)
  // The first count the node reads is where it starts from: no drops to report.
  await new Promise((resolve) => setTimeout(resolve, 2500))
  t.is(node.events.filter((e) => e.event === 'broker-dropped').length, 0)
  t.is((await node.stop(3000)).code, 0)

  const publisher = await meterPublisher(t, broker.url, 'roost-drops-publisher')
  for (let n = 0; n < PUBLISHED; n++) {
    await new Promise<void>((resolve, reject) => publisher.publish('meter/reading', String(n), { qos: 1 }, (err) => err ? reject(err) : resolve()))
  }

  node = await bridge.start()
  const dropped = await node.waitFor('broker-dropped', 15_000)
  t.like(dropped, { code: 'BROKER_DROPPED', dropped: PUBLISHED - LIMIT })
  t.regex(dropped.hint, /max_queued_messages 0/)
  t.is((await node.stop(3000)).code, 0)
  t.is((await readMeterFeed(bridge.dataDir)).length, LIMIT, 'the broker kept only its queue\'s worth')
})
