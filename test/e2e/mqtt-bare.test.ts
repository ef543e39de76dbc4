// mqtt.js as published, made to run on Bare by roost's build: a probe entry bundled
// like the node and run by the real Bare binary against a real Mosquitto on loopback,
// and the same connectBroker on Node.js.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import test from 'ava'
import { connectBroker } from '../../node/bridge/mqtt-client.ts'
import { bundleNode, BUNDLE_FILE, REPO_ROOT } from '../../targets/bundle.ts'
import { watchNode } from '../../tools/harness/node-process.ts'
import { publish, startMosquitto, startTlsMosquitto, subscribe } from '../helpers/mosquitto.ts'
import { tmpDir } from '../helpers/tmp.ts'

const BARE = path.join(REPO_ROOT, 'node_modules', 'bare-runtime-linux-x64', 'bin', 'bare')
const PROBE = path.join(REPO_ROOT, 'test', 'fixtures', 'mqtt-probe.ts')

test('on Bare, mqtt.js subscribes with QoS 1, receives what mosquitto_pub sends and publishes to mosquitto_sub', async (t) => {
  if (!fs.existsSync(BARE)) {
    t.fail(`no Bare binary at ${BARE}: run npm ci (bare-runtime-linux-x64 is an optional dependency)`)
    return
  }
  const broker = await startMosquitto(t)
  const work = tmpDir(t)
  const { bundleBytes } = await bundleNode({ runtime: 'bare', host: 'linux-x64', outDir: work, version: 'test', entry: PROBE })
  t.log(`${BUNDLE_FILE} with mqtt.js: ${bundleBytes} bytes`)

  const sub = subscribe(t, broker, 'probe/out')
  await sub.subscribed
  const probe = watchNode(spawn(BARE, [path.join(work, BUNDLE_FILE), broker.url], { stdio: ['ignore', 'pipe', 'pipe'] }))
  t.teardown(async () => { await probe.stop(1000) })
  await probe.waitFor('subscribed', 15_000)

  await publish(broker, 'probe/in', 'reading 1')
  await publish(broker, 'probe/in', '{"celsius":21.5}')
  await probe.waitFor('message', 10_000, (e) => e.payload === '{"celsius":21.5}')
  const received = probe.events.filter((e) => e.event === 'message').map(({ topic, payload, qos }) => ({ topic, payload, qos }))
  t.deepEqual(received, [
    { topic: 'probe/in', payload: 'reading 1', qos: 1 },
    { topic: 'probe/in', payload: '{"celsius":21.5}', qos: 1 }
  ])

  t.deepEqual(await sub.waitForMessage('hello from bare'), { topic: 'probe/out', payload: 'hello from bare' })
  await probe.waitFor('published')
  t.deepEqual(probe.events.filter((e) => e.event === 'error'), [])
  t.deepEqual(await probe.stop(2000), { code: 0, signal: null })
})

test('on Node.js, connectBroker subscribes and receives the same way', async (t) => {
  const broker = await startMosquitto(t)
  const client = connectBroker(broker.url, { clientId: 'roost-node-test', clean: true })
  t.teardown(() => new Promise<void>((resolve) => { client.end(true, {}, () => resolve()) }))
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  const granted = await client.subscribeAsync('probe/in', { qos: 1 })
  t.is(granted[0].qos, 1)
  const message = new Promise<{ topic: string, payload: string, qos: number }>((resolve) => {
    client.once('message', (topic, payload, packet) => resolve({ topic, payload: payload.toString(), qos: packet.qos }))
  })
  await publish(broker, 'probe/in', 'reading 1')
  t.deepEqual(await message, { topic: 'probe/in', payload: 'reading 1', qos: 1 })
})

test('on Bare, mqtt.js connects with mqtts:// to a Mosquitto TLS listener whose certificate chains to the named CA', async (t) => {
  if (!fs.existsSync(BARE)) {
    t.fail(`no Bare binary at ${BARE}: run npm ci (bare-runtime-linux-x64 is an optional dependency)`)
    return
  }
  const { broker, pki, tlsUrl } = await startTlsMosquitto(t)
  const work = tmpDir(t)
  const { addons } = await bundleNode({ runtime: 'bare', host: 'linux-x64', outDir: work, version: 'test', entry: PROBE })
  t.log(`addons: ${addons.map((a) => `${a.name}@${a.version}`).join(', ')}`)
  t.false(addons.some((a) => a.name === 'bare-pipe'), 'bare-tls is used without bare-net, so no bare-pipe')

  const sub = subscribe(t, broker, 'probe/out')
  await sub.subscribed
  const probe = watchNode(spawn(BARE, [path.join(work, BUNDLE_FILE), tlsUrl, pki.ca], { stdio: ['ignore', 'pipe', 'pipe'] }))
  t.teardown(async () => { await probe.stop(1000) })
  await probe.waitFor('subscribed', 15_000)
  await publish(broker, 'probe/in', 'over tls')
  const message = await probe.waitFor('message', 10_000)
  t.is(message.payload, 'over tls')
  t.deepEqual(await sub.waitForMessage('hello from bare'), { topic: 'probe/out', payload: 'hello from bare' })
  t.deepEqual(probe.events.filter((e) => e.event === 'error'), [])
  t.deepEqual(await probe.stop(2000), { code: 0, signal: null })

  // The same broker with a CA that did not sign its certificate: an error, never a connection.
  const wrong = watchNode(spawn(BARE, [path.join(work, BUNDLE_FILE), tlsUrl, pki.wrongCa], { stdio: ['ignore', 'pipe', 'pipe'] }))
  t.teardown(async () => { await wrong.stop(1000) })
  const error = await wrong.waitFor('error', 15_000)
  t.is(error.code, 'CERTIFICATE_VERIFY_FAILED')
  // mqtt.js retries each second; give it two more tries to go wrong.
  await new Promise((resolve) => setTimeout(resolve, 2500))
  t.deepEqual(wrong.events.filter((e) => e.event !== 'error'), [])
})

test('on Node.js, connectBroker connects with mqtts:// and the CA file, and fails with another CA', async (t) => {
  const { pki, tlsUrl } = await startTlsMosquitto(t)
  const client = connectBroker(tlsUrl, { clientId: 'roost-node-tls', caFile: pki.ca })
  t.teardown(() => new Promise<void>((resolve) => { client.end(true, {}, () => resolve()) }))
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  t.pass()

  const wrong = connectBroker(tlsUrl, { clientId: 'roost-node-tls-wrong', caFile: pki.wrongCa })
  t.teardown(() => new Promise<void>((resolve) => { wrong.end(true, {}, () => resolve()) }))
  const outcome = await new Promise<string>((resolve) => {
    wrong.once('connect', () => resolve('connected'))
    wrong.once('error', (err) => resolve(String((err as { code?: string }).code)))
  })
  // Node names the failure by where the chain broke (the broker also sends its CA).
  t.regex(outcome, /^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/)
})
