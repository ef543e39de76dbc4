// The broker connection's options on Node.js, against a real Mosquitto: MQTT 5, the CA
// and password files read at connect (typed errors, never raw ENOENT), the password kept
// out of logs, and QoS 1 acknowledgements held back until a reading is stored.
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import test, { type ExecutionContext } from 'ava'
import { createBridge, type BridgeState } from '../../node/bridge/bridge.ts'
import { brokerError, brokerForLog, connectBroker, readCaFile, readPasswordFile } from '../../node/bridge/mqtt-client.ts'
import { BRIDGE_DEFAULTS, type BridgeSettings } from '../../node/config/types.ts'
import { NodeError } from '../../node/errors.ts'
import type { Feeds } from '../../node/feeds/feeds.ts'
import type { LogEvent } from '../../node/log-events.ts'
import { publish, startMosquitto, startTlsMosquitto, type Broker } from '../helpers/mosquitto.ts'
import { tmpDir } from '../helpers/tmp.ts'

function nodeError (t: ExecutionContext, fn: () => unknown): NodeError {
  const err = t.throws(fn, { instanceOf: NodeError })
  if (!(err instanceof NodeError)) throw new Error('expected a NodeError')
  return err
}

function secretFile (dir: string, name: string, text: string, mode = 0o600): string {
  const file = path.join(dir, name)
  fs.writeFileSync(file, text, { mode })
  fs.chmodSync(file, mode)
  return file
}

test('a missing CA file is BROKER_CA_FILE naming the file, not a raw ENOENT', (t) => {
  const file = path.join(tmpDir(t), 'broker-ca.pem')
  const err = nodeError(t, () => connectBroker('mqtts://127.0.0.1:1', { caFile: file }))
  t.is(err.code, 'BROKER_CA_FILE')
  t.is(err.message, `bridge CA file ${file} cannot be used: no such file`)
  t.regex(err.hint ?? '', /PEM certificate of the CA/)
})

test('a CA file that is not PEM, or a folder, is BROKER_CA_FILE saying so', (t) => {
  const dir = tmpDir(t)
  const der = path.join(dir, 'ca.der')
  fs.writeFileSync(der, Buffer.from([0x30, 0x82, 0x01, 0x0a]))
  t.is(nodeError(t, () => readCaFile(der)).message, `bridge CA file ${der} cannot be used: it is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`)
  t.is(nodeError(t, () => readCaFile(dir)).message, `bridge CA file ${dir} cannot be used: it is a folder`)
})

test('a password file is read without its final newline', (t) => {
  const dir = tmpDir(t)
  t.is(readPasswordFile(secretFile(dir, 'a', 's3cret\n')), 's3cret')
  t.is(readPasswordFile(secretFile(dir, 'b', 'with spaces \r\n')), 'with spaces ')
  t.is(readPasswordFile(secretFile(dir, 'c', 'no-newline')), 'no-newline')
})

test('a password file readable by group or others is refused with a chmod hint, never showing the password', (t) => {
  const file = secretFile(tmpDir(t), 'broker-password', 'hunter2\n', 0o640)
  const err = nodeError(t, () => connectBroker('mqtt://127.0.0.1:1', { username: 'sensors', passwordFile: file }))
  t.is(err.code, 'BROKER_PASSWORD_PERMISSIONS')
  t.is(err.message, `bridge password file ${file} is readable by group or others (mode 640)`)
  t.is(err.hint, `run: chmod 600 ${file}`)
  t.false(JSON.stringify({ ...err, message: err.message }).includes('hunter2'))
})

test('a missing, empty or multi-line password file is BROKER_PASSWORD_FILE', (t) => {
  const dir = tmpDir(t)
  const missing = path.join(dir, 'nope')
  t.is(nodeError(t, () => readPasswordFile(missing)).message, `bridge password file ${missing} cannot be used: no such file`)
  const empty = secretFile(dir, 'empty', '\n')
  t.is(nodeError(t, () => readPasswordFile(empty)).code, 'BROKER_PASSWORD_FILE')
  t.is(nodeError(t, () => readPasswordFile(empty)).message, `bridge password file ${empty} cannot be used: it is empty`)
  const twoLines = secretFile(dir, 'two', 'user\npass\n')
  t.is(nodeError(t, () => readPasswordFile(twoLines)).message,
    `bridge password file ${twoLines} cannot be used: it has more than one line (expected the password alone)`)
})

test('a password written into the broker URL is not what logs show', (t) => {
  t.is(brokerForLog('mqtt://127.0.0.1:1883'), 'mqtt://127.0.0.1:1883')
  t.is(brokerForLog('mqtt://sensors@broker.lan:1883'), 'mqtt://sensors@broker.lan:1883')
  t.is(brokerForLog('mqtts://sensors:hunter2@broker.lan:8883'), 'mqtts://sensors:***@broker.lan:8883')
  t.is(brokerForLog('mqtt://sensors:p@ss:w0rd@broker.lan'), 'mqtt://sensors:***@broker.lan')
})

test('a CONNACK refusal is BROKER_NOT_AUTHORIZED in MQTT 3.1.1 and 5; an unaccepted version says which', (t) => {
  const refusal = (message: string, code: number): Error => Object.assign(new Error(message), { code })
  t.is(brokerError(refusal('Connection refused: Not authorized', 5), 4).code, 'BROKER_NOT_AUTHORIZED')
  t.is(brokerError(refusal('Connection refused: Bad User Name or Password', 134), 5).code, 'BROKER_NOT_AUTHORIZED')
  const version = brokerError(refusal('Connection refused: Unsupported Protocol Version', 132), 5)
  t.is(version.code, 'BROKER_VERSION_REFUSED')
  t.regex(version.hint ?? '', /protocolVersion to 4/)
  t.is(brokerError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 4).code, 'ECONNREFUSED')
})

// A bridge on Node.js whose feed appends wait until the test lets them go, so the test
// can see when the broker gets its PUBACK.
function heldBridge (t: ExecutionContext, broker: Broker, settings: Partial<BridgeSettings>) {
  const release: Array<() => void> = []
  const appended: string[] = []
  const feeds: Feeds = {
    feedKey: new Uint8Array(32),
    open: async () => {},
    append: (_feed, block) => new Promise<void>((resolve) => {
      release.push(() => { appended.push(Buffer.from(block).toString('hex')); resolve() })
    }),
    core: () => undefined,
    list: () => [],
    close: async () => {}
  }
  const state: BridgeState = { retained: new Map(), recent: new Set(), save: async () => {} }
  const events: Array<{ event: LogEvent, [field: string]: unknown }> = []
  const config = {
    ...BRIDGE_DEFAULTS,
    broker: broker.url,
    caFile: null,
    clientId: `roost-held-${process.pid}`,
    username: null,
    password: null,
    rules: [{ filter: 'home/door', feed: 'events', decoder: 'text' as const }],
    commandTopics: [],
    ...settings
  }
  const bridge = createBridge({ ...config, clientId: config.clientId ?? 'roost-held' }, feeds, state, (event, fields) => { events.push({ event, ...fields }) })
  t.teardown(() => bridge.close())
  const waitForEvent = async (event: LogEvent, timeoutMs = 10_000): Promise<{ event: LogEvent, [field: string]: unknown }> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = events.find((e) => e.event === event)
      if (found) return found
      if (Date.now() > deadline) throw new Error(`no ${event} within ${timeoutMs} ms: ${JSON.stringify(events)}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  return { bridge, events, release, appended, waitForEvent, clientId: config.clientId }
}

test('with MQTT 5, a QoS 1 reading is acknowledged to the broker only after the feed has stored it', async (t) => {
  // debug: Mosquitto logs each PUBLISH it sends and each PUBACK it receives.
  const broker = await startMosquitto(t, ['log_type debug'])
  const { bridge, release, appended, waitForEvent, clientId } = heldBridge(t, broker, { protocolVersion: 5 })
  await bridge.ready()
  await waitForEvent('broker-connected')
  t.truthy(await broker.waitForLog(new RegExp(`as ${clientId} \\(p5, c0,`)))
  await broker.waitForLog(new RegExp(`: ${clientId} 1 home/door$`))

  await publish(broker, 'home/door', 'open')
  await broker.waitForLog(new RegExp(`Sending PUBLISH to ${clientId} \\(d0, q1,`))
  // The append is held: no PUBACK may reach the broker meanwhile.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const puback = new RegExp(`Received PUBACK from ${clientId} `)
  t.false(broker.log.some((line) => puback.test(line)), broker.log.join('\n'))
  t.is(release.length, 1)
  release[0]()
  await broker.waitForLog(puback)
  t.is(appended.length, 1)
  t.is(bridge.stats().stored, 1)
})

test('with MQTT 5 and a wrong password, the bridge logs BROKER_NOT_AUTHORIZED once, without the password, and keeps retrying', async (t) => {
  const broker = await startMosquitto(t, [], { login: { username: 'sensors', password: 'right-horse-battery' } })
  const passwordFile = secretFile(tmpDir(t), 'broker-password', 'wrong-staple-7731\n')
  const { bridge, events, waitForEvent } = heldBridge(t, broker, { protocolVersion: 5, username: 'sensors', passwordFile })
  await bridge.ready()
  const error = await waitForEvent('broker-error')
  t.is(error.code, 'BROKER_NOT_AUTHORIZED')
  t.is(error.reason, 'the broker refused the bridge\'s login: Connection refused: Not authorized')
  // mqtt.js would give up after a refused CONNECT; the bridge keeps knocking.
  await new Promise((resolve) => setTimeout(resolve, 2500))
  t.true(broker.log.filter((line) => /disconnected, not authorised/.test(line)).length >= 2, broker.log.join('\n'))
  t.is(events.filter((e) => e.event === 'broker-error').length, 1)
  t.false(JSON.stringify(events).includes('wrong-staple'))
  t.false(bridge.stats().connected)
})

test('on Node.js, connectBroker logs in over mqtts:// with the CA file, MQTT 5 and a password file', async (t) => {
  const { broker, pki, tlsUrl } = await startTlsMosquitto(t, [], { login: { username: 'sensors', password: 'right-horse-battery' } })
  const passwordFile = secretFile(tmpDir(t), 'broker-password', 'right-horse-battery\n')
  const client = connectBroker(tlsUrl, { clientId: 'roost-tls-v5', caFile: pki.ca, protocolVersion: 5, username: 'sensors', passwordFile })
  t.teardown(() => new Promise<void>((resolve) => { client.end(true, {}, () => resolve()) }))
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  t.truthy(await broker.waitForLog(/as roost-tls-v5 \(p5, c1, k60, u'sensors'\)/))
})

test('connectBroker leaves mqtt-packet\'s number cache unbuilt: subscribing and acknowledging build no 65,536 Buffers', async (t) => {
  // The copy of mqtt-packet that mqtt.js itself loads.
  const numbers = createRequire(createRequire(import.meta.url).resolve('mqtt'))('mqtt-packet/numbers.js') as { cache: Record<number, Uint8Array> }
  const broker = await startMosquitto(t)
  const client = connectBroker(broker.url, { clientId: 'roost-no-write-cache' })
  t.teardown(() => new Promise<void>((resolve) => { client.end(true, {}, () => resolve()) }))
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  await client.subscribeAsync('home/#', { qos: 1 })
  const arrived = new Promise<void>((resolve) => client.once('message', () => resolve()))
  await publish(broker, 'home/door', 'open', 1)
  await arrived
  t.is(Object.keys(numbers.cache).length, 0)
})
