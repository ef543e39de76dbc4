// How the bridge takes messages from a real Mosquitto (on Node.js, with mqtt.js as the
// node uses it): many QoS 1 messages in flight at once, each PUBACK only after its
// reading is stored and in the order the messages came; a QoS 0 burst held at the
// intake's bound instead of in memory, and then stored whole.
import test, { type ExecutionContext } from 'ava'
import { connect, type MqttClient } from 'mqtt'
import { createBridge, type BridgeState } from '../../node/bridge/bridge.ts'
import { MAX_UNSETTLED_READINGS } from '../../node/bridge/intake.ts'
import { decodeReading } from '../../node/bridge/record.ts'
import { BRIDGE_DEFAULTS } from '../../node/config/types.ts'
import type { Feeds } from '../../node/feeds/feeds.ts'
import { startMosquitto, type Broker } from '../helpers/mosquitto.ts'

interface HeldAppend { payload: string, release: () => void }

// A bridge whose feed appends wait until the test lets them go.
async function heldBridge (t: ExecutionContext, broker: Broker, clientId: string) {
  const held: HeldAppend[] = []
  const stored: string[] = []
  let autoRelease = false
  const feeds: Feeds = {
    feedKey: new Uint8Array(32),
    open: async () => {},
    append: (_feed, block) => new Promise<void>((resolve) => {
      const payload = Buffer.from(decodeReading(block).payload).toString()
      const release = (): void => { stored.push(payload); resolve() }
      if (autoRelease) release()
      else held.push({ payload, release })
    }),
    core: () => undefined,
    list: () => [],
    close: async () => {}
  }
  const state: BridgeState = { retained: new Map(), recent: new Set(), save: async () => {} }
  const bridge = createBridge({
    ...BRIDGE_DEFAULTS,
    broker: broker.url,
    caFile: null,
    clientId,
    username: null,
    password: null,
    rules: [{ filter: 'meter/#', feed: 'meter', decoder: 'number' }],
    commandTopics: []
  }, feeds, state, () => {})
  t.teardown(async () => {
    autoRelease = true
    for (const h of held.splice(0)) h.release()
    await bridge.close()
  })
  await bridge.ready()
  await broker.waitForLog(new RegExp(`: ${clientId} 1 meter/#$`))
  return {
    bridge,
    held,
    stored,
    releaseAll () {
      autoRelease = true
      for (const h of held.splice(0)) h.release()
    }
  }
}

async function publisher (t: ExecutionContext, broker: Broker): Promise<MqttClient> {
  const client = connect(broker.url, { clientId: `roost-intake-publisher-${process.pid}` })
  t.teardown(() => { client.end(true) })
  await new Promise<void>((resolve) => client.once('connect', () => resolve()))
  return client
}

async function until (what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

test('QoS 1 messages are taken in together, and each is acknowledged only after it and all before it are stored, in order', async (t) => {
  // debug: Mosquitto logs each PUBLISH it sends and each PUBACK it receives.
  const broker = await startMosquitto(t, ['log_type debug', 'max_inflight_messages 50'])
  const clientId = `roost-intake-q1-${process.pid}`
  const { bridge, held } = await heldBridge(t, broker, clientId)
  const pub = await publisher(t, broker)
  const COUNT = 30
  for (let n = 0; n < COUNT; n++) pub.publish('meter/reading', String(n), { qos: 1 })

  // All of them reach the feed before any is stored: one batch, not one at a time.
  await until(`${COUNT} appends waiting`, () => held.length === COUNT)
  const pubacks = (): number[] => broker.log.flatMap((line) => {
    const m = new RegExp(`Received PUBACK from ${clientId} \\(Mid: (\\d+)`).exec(line)
    return m ? [Number(m[1])] : []
  })
  await sleep(300)
  t.deepEqual(pubacks(), [], 'nothing is acknowledged while nothing is stored')

  // The later ones stored first still wait for the earlier ones.
  for (const h of held.slice(10)) h.release()
  await sleep(300)
  t.deepEqual(pubacks(), [], 'no PUBACK overtakes an earlier message that is not stored yet')

  for (const h of held.slice(0, 10)) h.release()
  await until(`${COUNT} PUBACKs`, () => pubacks().length === COUNT)
  const sent = broker.log.flatMap((line) => {
    const m = new RegExp(`Sending PUBLISH to ${clientId} \\(d0, q1, r0, m(\\d+),`).exec(line)
    return m ? [Number(m[1])] : []
  })
  t.deepEqual(pubacks(), sent, 'PUBACKs in the order the messages were sent')
  t.is(bridge.stats().stored, COUNT)
})

test('a QoS 0 burst larger than the intake\'s bound waits in the broker and the socket, then is stored whole and in order', async (t) => {
  const broker = await startMosquitto(t, ['max_queued_messages 0'])
  const { held, stored, releaseAll } = await heldBridge(t, broker, `roost-intake-q0-${process.pid}`)
  const pub = await publisher(t, broker)
  const COUNT = 3 * MAX_UNSETTLED_READINGS
  for (let n = 0; n < COUNT; n++) pub.publish('meter/reading', String(n), { qos: 0 })

  await until(`${MAX_UNSETTLED_READINGS} appends waiting`, () => held.length >= MAX_UNSETTLED_READINGS)
  await sleep(500)
  t.is(held.length, MAX_UNSETTLED_READINGS, 'no more readings in memory than the bound while none is stored')

  releaseAll()
  await until(`${COUNT} readings stored`, () => stored.length === COUNT)
  t.deepEqual(stored, Array.from({ length: COUNT }, (_, n) => String(n)))
})
