// The sensor bridge end to end on the real things: Mosquitto on loopback, the node's
// linux-x64 artifact on Bare, a HyperDHT testnet, and the real `roost feed` CLI reading
// the encrypted feed from the node over the DHT.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import test, { type ExecutionContext } from 'ava'
import { decodeReadings } from '../../node/bridge/record.ts'
import type { NodeConfigFile } from '../../node/config/types.ts'
import { BRIDGE_DEFAULTS } from '../../node/config/types.ts'
import { parseFeedRef } from '../../node/feeds/ref.ts'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { openFeedReader } from '../../tools/client/feeds.ts'
import { buildLocal } from '../../tools/harness/local-node.ts'
import { connectToNode } from '../../tools/client/connect.ts'
import { watchNode } from '../../tools/harness/node-process.ts'
import { REPO_ROOT } from '../../targets/bundle.ts'
import { sharedArtifact } from '../helpers/artifacts.ts'
import { roost } from '../helpers/cli.ts'
import { publish, startMosquitto, startTlsMosquitto, subscribe, type Broker } from '../helpers/mosquitto.ts'
import { launchNode } from '../helpers/nodes.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { startTcpProxy } from '../helpers/tcp-proxy.ts'
import { tmpDir } from '../helpers/tmp.ts'
import { deviceAt } from '../../tools/client/device.ts'

const board = loadBoard('x86-64-mini-pc')
const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-e2e-bridge-'))
const artifact = buildLocal(board, 'bare', path.join(buildDir, 'artifact'))
test.after.always(() => fs.rmSync(buildDir, { recursive: true, force: true }))

const RULES = [
  { filter: 'home/+/temperature', feed: 'climate', decoder: 'number' as const },
  { filter: 'home/door', feed: 'events', decoder: 'text' as const }
]

async function setup (t: ExecutionContext, extra: Partial<NonNullable<NodeConfigFile['bridge']>> = {}) {
  const broker = await startMosquitto(t)
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const clientHome = tmpDir(t)
  const clientKey = encodeKey(loadOrCreateIdentity(path.join(clientHome, 'client')).keyPair.publicKey)
  const { outDir } = await artifact
  const config: Partial<NodeConfigFile> = {
    bootstrap,
    roles: ['bridge'],
    trustedKeys: [clientKey],
    bridge: { broker: broker.url, caFile: null, clientId: null, username: null, password: null, rules: RULES, commandTopics: [], ...BRIDGE_DEFAULTS, ...extra }
  }
  const start = async (name = 'home') => {
    const node = launchNode(t, { artifactDir: outDir, runtime: 'bare', board, work, name, config })
    const ready = await node.waitFor('ready', 30_000)
    await node.waitFor('broker-connected', 10_000)
    return { node, key: String(ready.publicKey) }
  }
  return { broker, bootstrap, clientHome, start }
}

async function waitForStored (bootstrap: string[], clientHome: string, nodeKey: string, stored: number) {
  const session = await connectToNode(deviceAt(path.join(clientHome, 'client'), { bootstrap }), nodeKey)
  try {
    const deadline = Date.now() + 15_000
    for (;;) {
      const status = await session.control.status()
      if (status.bridge && status.bridge.stored >= stored) return status
      if (Date.now() > deadline) throw new Error(`bridge stored ${status.bridge?.stored} of ${stored}: ${JSON.stringify(status.bridge)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } finally {
    await session.close()
  }
}

async function feedRefs (bootstrap: string[], clientHome: string, nodeKey: string): Promise<Record<string, string>> {
  const ls = await roost(['feed', 'ls', '--peer', nodeKey, '--bootstrap', bootstrap[0]], { home: clientHome })
  if (ls.code !== 0) throw new Error(ls.stderr)
  return Object.fromEntries(ls.stdout.trim().split('\n').slice(1).map((line) => {
    const [name, , ref] = line.split(/\s+/)
    return [name, ref]
  }))
}

test('readings published to Mosquitto land in encrypted feeds that a trusted peer reads over the DHT', async (t) => {
  const { broker, bootstrap, clientHome, start } = await setup(t)
  const { key } = await start()
  await broker.waitForLog(/ home\/\+\/temperature$/)
  await publish(broker, 'home/kitchen/temperature', '21.5')
  await publish(broker, 'home/hall/temperature', 'warm')
  await publish(broker, 'home/door', 'open')
  await publish(broker, 'garden/soil', 'ignored: no rule')
  const status = await waitForStored(bootstrap, clientHome, key, 3)
  t.is(status.bridge!.decodeErrors, 1)
  t.deepEqual(status.feeds, [{ name: 'climate', length: 2 }, { name: 'events', length: 1 }])

  const refs = await feedRefs(bootstrap, clientHome, key)
  t.deepEqual(Object.keys(refs).sort(), ['climate', 'events'])
  const exported = await roost(['feed', 'export', refs.climate, '--format', 'jsonl', '--bootstrap', bootstrap[0]], { home: clientHome })
  t.is(exported.code, 0, exported.stderr)
  const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l))
  t.deepEqual(rows.map((r) => [r.topic, r.value, r.qos, r.decodeError]), [
    ['home/kitchen/temperature', 21.5, 1, null],
    ['home/hall/temperature', Buffer.from('warm').toString('base64'), 1, 'not a number: "warm"']
  ])
  const csv = await roost(['feed', 'export', refs.events, '--bootstrap', bootstrap[0]], { home: clientHome })
  t.regex(csv.stdout, /^received_at,topic,qos,retain,value,decode_error\n\S+,home\/door,1,false,open,\n$/)
})

test('a reader with the core key but not the feed key sees ciphertext only', async (t) => {
  const { broker, bootstrap, clientHome, start } = await setup(t)
  const { key } = await start()
  await broker.waitForLog(/ home\/door$/)
  const marker = 'front-door-opened-7f3a'
  await publish(broker, 'home/door', marker)
  await waitForStored(bootstrap, clientHome, key, 1)
  const ref = parseFeedRef((await feedRefs(bootstrap, clientHome, key)).events)

  const withKey = await openFeedReader(deviceAt(tmpDir(t), { bootstrap }), ref, { decrypt: true })
  t.is(decodeReadings((await withKey.core.get(0))!)[0].topic, 'home/door')
  await withKey.close()

  const without = await openFeedReader(deviceAt(tmpDir(t), { bootstrap }), ref, { decrypt: false })
  const block = (await without.core.get(0))!
  await without.close()
  t.false(Buffer.from(block).includes(Buffer.from(marker)))
  t.false(Buffer.from(block).includes(Buffer.from('home/door')))
})

test('a retained reading is recorded once, not again on every reconnect', async (t) => {
  const { broker, bootstrap, clientHome, start } = await setup(t)
  await publish(broker, 'home/door', 'closed', 1, true)
  let { node, key } = await start()
  await waitForStored(bootstrap, clientHome, key, 1)
  t.deepEqual(await node.stop(3000), { code: 0, signal: null })
  ;({ node, key } = await start())
  await publish(broker, 'home/door', 'open')
  const status = await waitForStored(bootstrap, clientHome, key, 1)
  // After the restart the broker sent "closed" again (retained) and then "open".
  t.is(status.bridge!.retainedUnchanged, 1)
  t.deepEqual(status.feeds.find((f) => f.name === 'events'), { name: 'events', length: 2 })
})

test('an untrusted key cannot list feeds', async (t) => {
  const { bootstrap, start } = await setup(t)
  const { key } = await start()
  const result = await roost(['feed', 'ls', '--peer', key, '--bootstrap', bootstrap[0]], { home: tmpDir(t) })
  t.is(result.code, 1)
  t.regex(result.stderr, /^NOT_TRUSTED: this node does not trust key /)
})

test('payloads over the size limit are refused and counted; the node keeps bridging', async (t) => {
  const { broker, bootstrap, clientHome, start } = await setup(t, { maxPayloadBytes: 16 })
  const { node, key } = await start()
  await broker.waitForLog(/ home\/door$/)
  await publish(broker, 'home/door', 'x'.repeat(17))
  await publish(broker, 'home/door', 'open')
  const status = await waitForStored(bootstrap, clientHome, key, 1)
  t.is(status.bridge!.oversized, 1)
  t.is(status.bridge!.stored, 1)
  t.is((await node.waitFor('reading-refused')).topic, 'home/door')
})

test('a trusted peer publishes to allowlisted topics only', async (t) => {
  const { broker, bootstrap, clientHome, start } = await setup(t, { commandTopics: ['home/heater/set'] })
  const { node, key } = await start()
  const sub = subscribe(t, broker, 'home/#')
  await sub.subscribed
  const session = await connectToNode(deviceAt(path.join(clientHome, 'client'), { bootstrap }), key)
  t.teardown(() => session.close())
  await session.control.publish('home/heater/set', Buffer.from('21'), 1)
  t.is((await sub.waitForMessage('21')).topic, 'home/heater/set')
  const err = await t.throwsAsync(session.control.publish('home/door/unlock', Buffer.from('now'), 1))
  t.is((err as Error & { code?: string }).code, 'COMMAND_REFUSED')
  t.regex(err!.message, /not in this node's command allowlist/)
  t.is((await node.waitFor('command-refused')).topic, 'home/door/unlock')
  t.false(sub.messages.some((m) => m.topic === 'home/door/unlock'))
})


// A node on Bare for a broker the test started, not yet waited for: the tests below
// decide which of broker-connected or broker-error they expect.
// `from`: another build than this file's (which carries TLS, as the harness's do).
async function bridgeNode (t: ExecutionContext, broker: Broker, bridge: Partial<NonNullable<NodeConfigFile['bridge']>>, name = 'home', from = artifact) {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const clientHome = tmpDir(t)
  const clientKey = encodeKey(loadOrCreateIdentity(path.join(clientHome, 'client')).keyPair.publicKey)
  const { outDir } = await from
  const node = launchNode(t, {
    artifactDir: outDir,
    runtime: 'bare',
    board,
    work,
    name,
    config: {
      bootstrap,
      roles: ['bridge'],
      trustedKeys: [clientKey],
      bridge: { ...BRIDGE_DEFAULTS, broker: broker.url, caFile: null, clientId: null, username: null, password: null, rules: RULES, commandTopics: [], ...bridge }
    }
  })
  const key = String((await node.waitFor('ready', 30_000)).publicKey)
  return { node, key, bootstrap, clientHome, work }
}

// Every line a node wrote, stdout and stderr, as one string to search for a secret.
function allOutput (node: { events: unknown[], stderr: string[] }): string {
  return JSON.stringify(node.events) + node.stderr.join('\n')
}

function writeSecret (dir: string, name: string, text: string): string {
  const file = path.join(dir, name)
  fs.writeFileSync(file, text, { mode: 0o600 })
  return file
}

test('with protocolVersion 5 the node speaks MQTT 5 to Mosquitto, readings land, and its session outlives a restart', async (t) => {
  const { broker, bootstrap, clientHome, start } = await setup(t, { protocolVersion: 5 })
  let { node, key } = await start()
  // Mosquitto logs the protocol of each client: p2 is MQTT 3.1.1, p5 is MQTT 5.
  const connected = await broker.waitForLog(/New client connected from .* as roost-\S+ \(p\d, /)
  t.regex(connected, / \(p5, c0, /)
  await broker.waitForLog(/ home\/door$/)
  await publish(broker, 'home/door', 'open')
  await waitForStored(bootstrap, clientHome, key, 1)

  // MQTT 5 drops a session when its connection closes unless the client asked for it
  // to last: a reading published while the node is down must still reach it.
  t.deepEqual(await node.stop(3000), { code: 0, signal: null })
  await publish(broker, 'home/door', 'closed while away')
  ;({ node, key } = await start())
  t.true(node.events.find((e) => e.event === 'broker-connected')!.sessionPresent)
  const status = await waitForStored(bootstrap, clientHome, key, 1)
  t.deepEqual(status.feeds.find((f) => f.name === 'events'), { name: 'events', length: 2 })
})

test('with a password file the node logs in; with a wrong one it logs BROKER_NOT_AUTHORIZED, never the password, and keeps retrying and serving', async (t) => {
  const broker = await startMosquitto(t, [], { login: { username: 'sensors', password: 'right-horse-battery' } })
  const secrets = tmpDir(t)
  const right = await bridgeNode(t, broker, { username: 'sensors', passwordFile: writeSecret(secrets, 'right', 'right-horse-battery\n') }, 'right')
  await right.node.waitFor('broker-connected', 10_000)
  await broker.waitForLog(/ home\/door$/)
  await publish(broker, 'home/door', 'open')
  await waitForStored(right.bootstrap, right.clientHome, right.key, 1)
  await right.node.stop(3000)
  t.false(allOutput(right.node).includes('right-horse-battery'))

  const wrong = await bridgeNode(t, broker, { username: 'sensors', passwordFile: writeSecret(secrets, 'wrong', 'wrong-staple-7731\n') }, 'wrong')
  const error = await wrong.node.waitFor('broker-error', 10_000)
  t.is(error.code, 'BROKER_NOT_AUTHORIZED')
  t.is(error.reason, 'the broker refused the bridge\'s login: Connection refused: Not authorized')
  t.regex(String(error.hint), /username and password \(or passwordFile\)/)
  // Still serving: a trusted client gets its status over the DHT.
  const session = await connectToNode(deviceAt(path.join(wrong.clientHome, 'client'), { bootstrap: wrong.bootstrap }), wrong.key)
  t.teardown(() => session.close())
  t.false((await session.control.status()).bridge!.connected)
  // Still retrying: the broker keeps turning it away.
  const refusals = (): number => broker.log.filter((line) => /disconnected, not authorised/.test(line)).length
  const deadline = Date.now() + 10_000
  while (refusals() < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  t.true(refusals() >= 3, broker.log.join('\n'))
  t.is(wrong.node.child.exitCode, null)
  t.is(wrong.node.events.filter((e) => e.event === 'broker-error').length, 1)
  t.false(allOutput(wrong.node).includes('wrong-staple'))
})

test('a CA file that is not there is logged as BROKER_CA_FILE; the node keeps serving and connects once the file appears', async (t) => {
  const { broker, pki, tlsUrl } = await startTlsMosquitto(t)
  const caFile = path.join(tmpDir(t), 'broker-ca.pem')
  const { node } = await bridgeNode(t, { ...broker, url: tlsUrl }, { caFile })
  const error = await node.waitFor('broker-error', 10_000)
  t.is(error.code, 'BROKER_CA_FILE')
  t.is(error.reason, `bridge CA file ${caFile} cannot be used: no such file`)
  t.is(node.child.exitCode, null)
  fs.copyFileSync(pki.ca, caFile)
  await node.waitFor('broker-connected', 15_000)
  await broker.waitForLog(/ home\/door$/)
  t.false(node.events.some((e) => e.event === 'fatal'))
})

test('an artifact built from a config without an mqtts:// broker says BROKER_TLS_NOT_BUILT for one, and keeps serving', async (t) => {
  const { broker, pki, tlsUrl } = await startTlsMosquitto(t)
  const plain = sharedArtifact(board.id)
  t.false((await plain).manifest.tls)
  const { node, key, bootstrap, clientHome } = await bridgeNode(t, { ...broker, url: tlsUrl }, { caFile: pki.ca }, 'home', plain)
  const error = await node.waitFor('broker-error', 10_000)
  t.is(error.code, 'BROKER_TLS_NOT_BUILT')
  t.regex(String(error.hint), /--tls/)
  const session = await connectToNode(deviceAt(path.join(clientHome, 'client'), { bootstrap }), key)
  t.teardown(() => session.close())
  t.false((await session.control.status()).bridge!.connected)
  t.is(node.child.exitCode, null)
  t.false(node.events.some((e) => e.event === 'fatal'))
})

async function proxiedSetup (t: ExecutionContext) {
  const broker = await startMosquitto(t)
  const proxy = await startTcpProxy(t, broker.port)
  const { node, key, bootstrap, clientHome } = await bridgeNode(t, broker, { broker: `mqtt://127.0.0.1:${proxy.port}` })
  await node.waitFor('broker-connected', 10_000)
  return { broker, proxy, bootstrap, clientHome, node, key }
}

test('when the broker goes away the node says so, retries with backoff and never exits', async (t) => {
  const { broker, proxy, bootstrap, clientHome, node, key } = await proxiedSetup(t)
  await broker.waitForLog(/ home\/door$/, 10_000)
  proxy.refuse = true
  proxy.dropConnections()
  const gone = await node.waitFor('broker-disconnected', 10_000)
  t.is(gone.retryInMs, 1000)
  const session = await connectToNode(deviceAt(path.join(clientHome, 'client'), { bootstrap }), key)
  t.teardown(() => session.close())
  t.false((await session.control.status()).bridge!.connected)
  // Refused retries double the wait: the second disconnect is not logged again, but
  // the node is still here and still serving status.
  await new Promise((resolve) => setTimeout(resolve, 2500))
  t.is(node.child.exitCode, null)
  t.true((await session.control.status()).bridge!.reconnects >= 2)

  proxy.refuse = false
  const back = await node.waitFor('broker-connected', 15_000, (e) => e !== node.events.find((x) => x.event === 'broker-connected'))
  t.true(back.sessionPresent)
  await publish(broker, 'home/door', 'back')
  await waitForStored(bootstrap, clientHome, key, 1)
})

test('a broker sending garbage mid-stream makes the node reconnect, not crash', async (t) => {
  const { broker, proxy, bootstrap, clientHome, node, key } = await proxiedSetup(t)
  await broker.waitForLog(/ home\/door$/, 10_000)
  // A PUBLISH header announcing 200 bytes, then nonsense and a reserved packet type.
  proxy.injectDownstream(Buffer.from([0x30, 0xc8, 0x01, 0x00, 0x05, 0x68, 0x6f, 0xf0, 0x00, 0xff, 0xff, 0xff, 0xff, 0x7f]))
  proxy.dropConnections()
  await node.waitFor('broker-disconnected', 10_000)
  const back = await node.waitFor('broker-connected', 15_000, (e) => e !== node.events.find((x) => x.event === 'broker-connected'))
  // The persistent session kept the subscription: the reading reaches the node.
  t.true(back.sessionPresent)
  await publish(broker, 'home/door', 'still here')
  await waitForStored(bootstrap, clientHome, key, 1)
  t.false(node.events.some((e) => e.event === 'fatal'))
  t.is(node.child.exitCode, null)
})

test('roost feed tail prints readings as they arrive', async (t) => {
  const { broker, bootstrap, clientHome, start } = await setup(t)
  const { key } = await start()
  await broker.waitForLog(/ home\/door$/)
  await publish(broker, 'home/door', 'before')
  await waitForStored(bootstrap, clientHome, key, 1)
  const ref = (await feedRefs(bootstrap, clientHome, key)).events
  const tail = roost(['feed', 'tail', ref, '--count', '3', '--bootstrap', bootstrap[0]], { home: clientHome, timeoutMs: 30_000 })
  // Give the tail time to connect, then publish two more while it watches.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  await publish(broker, 'home/door', 'open')
  await publish(broker, 'home/door', 'closed')
  const result = await tail
  t.is(result.code, 0, result.stderr)
  t.deepEqual(result.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(1).join(' ')), ['home/door before', 'home/door open', 'home/door closed'])
})

test('quick start without a config file: roost run --broker --map', async (t) => {
  const broker = await startMosquitto(t)
  const { bootstrap } = await startTestnet(t)
  const home = tmpDir(t)
  const cli = path.join(REPO_ROOT, 'bin', 'roost.js')
  const run = watchNode(spawn(process.execPath, [cli, 'run', '--bootstrap', bootstrap[0], '--storage', path.join(home, 'node'),
    '--broker', broker.url, '--map', 'home/+/temperature=climate:number'], { env: { ...process.env, ROOST_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'], detached: true }))
  t.teardown(async () => {
    await run.stop(1000)
    try { process.kill(-run.child.pid!, 'SIGKILL') } catch {}
  })
  const key = String((await run.waitFor('ready', 60_000)).publicKey)
  await run.waitFor('broker-connected', 10_000)
  await broker.waitForLog(/ home\/\+\/temperature$/, 10_000)
  await publish(broker, 'home/attic/temperature', '30.5')
  // The user who ran it is the node's operator: feed ls works for them.
  await waitForStored(bootstrap, home, key, 1)
  const ls = await roost(['feed', 'ls', '--peer', key, '--bootstrap', bootstrap[0]], { home })
  t.is(ls.code, 0, ls.stderr)
  t.regex(ls.stdout, /^climate +1 +roost-feed:climate\./m)
})

test('roost run refuses a bad --map or a --map without --broker, naming the problem', async (t) => {
  const home = tmpDir(t)
  const noBroker = await roost(['run', '--map', 'home/#=all'], { home })
  t.is(noBroker.code, 1)
  t.is(noBroker.stderr.split('\n')[0], 'USAGE: roost run: --map needs --broker URL')
  const badFilter = await roost(['run', '--broker', 'mqtt://127.0.0.1:1', '--map', 'home/#/x=all:number'], { home })
  t.is(badFilter.stderr.split('\n')[0], 'USAGE: roost run: --map home/#/x=all:number: filter: "#" must be a whole level and the last one (e.g. home/#)')
  const twoDecoders = await roost(['run', '--broker', 'mqtt://127.0.0.1:1', '--map', 'a/+=f:number', '--map', 'b/+=f:json'], { home })
  t.regex(twoDecoders.stderr, /^USAGE: roost run: --map b\/\+=f:json: feed "f" is written with decoder "number" by rule 1; one feed has one decoder$/m)
})

test('quick start with an mqtts:// broker that wants a login: roost run --mqtt-version 5 --ca-file --username --password-file', async (t) => {
  const { broker, pki, tlsUrl } = await startTlsMosquitto(t, [], { login: { username: 'sensors', password: 'right-horse-battery' } })
  const { bootstrap } = await startTestnet(t)
  const home = tmpDir(t)
  const passwordFile = writeSecret(home, 'broker-password', 'right-horse-battery\n')
  const cli = path.join(REPO_ROOT, 'bin', 'roost.js')
  const run = watchNode(spawn(process.execPath, [cli, 'run', '--bootstrap', bootstrap[0], '--storage', path.join(home, 'node'),
    '--broker', tlsUrl, '--mqtt-version', '5', '--ca-file', pki.ca, '--username', 'sensors', '--password-file', passwordFile,
    '--map', 'home/+/temperature=climate:number'], { env: { ...process.env, ROOST_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'], detached: true }))
  t.teardown(async () => {
    await run.stop(1000)
    try { process.kill(-run.child.pid!, 'SIGKILL') } catch {}
  })
  const key = String((await run.waitFor('ready', 60_000)).publicKey)
  await run.waitFor('broker-connected', 10_000)
  t.regex(await broker.waitForLog(/New client connected from .* as roost-/), / \(p5, c0, k60, u'sensors'\)\.$/)
  await broker.waitForLog(/ home\/\+\/temperature$/, 10_000)
  await publish(broker, 'home/attic/temperature', '30.5')
  await waitForStored(bootstrap, home, key, 1)
  // The secret stays in its file: not in the config the run wrote, not in the log.
  const written = fs.readFileSync(path.join(home, 'run', 'config.json'), 'utf8')
  t.like(JSON.parse(written).bridge, { protocolVersion: 5, caFile: pki.ca, username: 'sensors', password: null, passwordFile })
  t.false(written.includes('right-horse-battery'))
  t.false(allOutput(run).includes('right-horse-battery'))
})

test('roost run refuses an unusable --ca-file or --password-file and a bad --mqtt-version, naming the flag and the file', async (t) => {
  const home = tmpDir(t)
  const tls = ['run', '--broker', 'mqtts://127.0.0.1:1', '--map', 'home/#=all:raw']
  const firstLine = (r: { stderr: string }): string => r.stderr.split('\n')[0]

  const missing = path.join(home, 'nope.pem')
  const noCa = await roost([...tls, '--ca-file', missing], { home })
  t.is(noCa.code, 1)
  t.is(firstLine(noCa), `USAGE: roost run: --ca-file: bridge CA file ${missing} cannot be used: no such file`)
  const notPem = writeSecret(home, 'ca.der', 'not a certificate')
  t.is(firstLine(await roost([...tls, '--ca-file', notPem], { home })),
    `USAGE: roost run: --ca-file: bridge CA file ${notPem} cannot be used: it is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`)
  t.is(firstLine(await roost(['run', '--broker', 'mqtt://127.0.0.1:1', '--map', 'home/#=all:raw', '--ca-file', notPem], { home })),
    'USAGE: roost run: --ca-file is used only with an mqtts:// broker')

  const open = path.join(home, 'broker-password')
  fs.writeFileSync(open, 'hunter2\n', { mode: 0o644 })
  fs.chmodSync(open, 0o644)
  const loose = await roost([...tls, '--username', 'sensors', '--password-file', open], { home })
  t.is(loose.stderr, `USAGE: roost run: --password-file: bridge password file ${open} is readable by group or others (mode 644)\nhint: run: chmod 600 ${open}\n`)
  t.is(firstLine(await roost([...tls, '--password-file', open], { home })),
    'USAGE: roost run: --password-file needs --username USER (MQTT sends a password only with one)')

  t.is(firstLine(await roost([...tls, '--mqtt-version', '3'], { home })), 'USAGE: roost run: --mqtt-version must be 4 (MQTT 3.1.1) or 5 (MQTT 5), got "3"')
  t.is(firstLine(await roost(['run', '--mqtt-version', '5'], { home })), 'USAGE: roost run: --mqtt-version needs --broker URL')
})
