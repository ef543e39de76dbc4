// The lan-ingest role on the real Bare node, driven by a TypeScript stand-in for the Lua
// agent over UDP on 127.0.0.1: readings land in the feed in the bridge's record format
// and are acknowledged only once stored; a replayed datagram is acknowledged again and
// never stored twice, also after a restart; bad datagrams are counted; agents added
// with the real `roost agent` are taken without a restart.
import dgram from 'node:dgram'
import fs from 'node:fs'
import path from 'node:path'
import test from 'ava'
import { BRIDGE_DEFAULTS } from '../../node/config/types.ts'
import { DROP_REASONS, type DropReason } from '../../node/protocol/lan-messages.ts'
import { newAgentKeys, sealReading, type ReadingToSeal } from '../../tools/harness/lan-agent.ts'
import { until } from '../../tools/harness/wait.ts'
import { roost } from '../helpers/cli.ts'
import { readFeed } from '../helpers/feeds.ts'
import { lanAgent, lanDevice, lanNode } from '../helpers/lan.ts'
import { publish, startMosquitto } from '../helpers/mosquitto.ts'
import { launchNode } from '../helpers/nodes.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { tmpDir } from '../helpers/tmp.ts'

test('readings an agent sends are stored as the bridge stores them and acknowledged', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const device = lanDevice('kitchen')
  const node = await lanNode(t, bootstrap, [device])
  const proc = await node.start()
  const agent = await lanAgent(t, { keys: device, port: node.port })

  const before = Date.now()
  for (let n = 1; n <= 10; n++) await agent.send({ sequence: n, topic: 'meter/kitchen', payload: Buffer.from(String(n * 1.5)), takenAt: 1_000 + n })
  await agent.send({ sequence: 11, topic: 'meter/kitchen/state', payload: Buffer.from('on') })
  await agent.waitForAcks(Array.from({ length: 11 }, (_, i) => i + 1))
  const after = Date.now()
  t.true(agent.acks.every((ack) => ack.highest >= Math.max(...ack.sequences)), 'each acknowledgement names the highest stored so far')

  const status = await node.lanStatus()
  t.like(status, { listening: true, devices: 1, received: 11, stored: 11, duplicates: 0, decodeErrors: 1, notStored: 0 })
  t.true(status.acksSent >= 1 && status.acksSent <= 11)
  t.is(Object.values(status.dropped).reduce((a, b) => a + b, 0), 0)
  t.is((await proc.stop(3000)).code, 0)

  const records = await node.readFeed()
  t.is(records.length, 11)
  records.slice(0, 10).forEach((r, i) => {
    t.like(r, { topic: 'meter/kitchen', qos: 1, retain: false, decoder: 'number', decodeError: null, packetId: i + 1 })
    t.is(Buffer.from(r.payload).toString(), String((i + 1) * 1.5))
    // The node's clock, not the agent's.
    t.true(r.receivedAt >= before && r.receivedAt <= after, String(r.receivedAt))
  })
  t.like(records[10], { topic: 'meter/kitchen/state', packetId: 11, decodeError: 'not a number: "on"' })
})

test('an acknowledgement comes only after the append: a node killed the moment one arrives holds every reading acknowledged', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const device = lanDevice('kitchen')
  const node = await lanNode(t, bootstrap, [device])
  const acked = new Set<number>()
  let next = 1
  for (let round = 0; round < 5; round++) {
    const proc = await node.start()
    const agent = await lanAgent(t, { keys: device, port: node.port })
    const first = next
    for (let i = 0; i < 200; i++) await agent.send({ sequence: next++, topic: 'meter/kitchen', payload: Buffer.from(String(next)) })
    // Killed as soon as the first acknowledgement is here, with more on their way.
    await until('an acknowledgement', () => agent.acks.length > 0 ? true : undefined, 10_000, 1)
    proc.child.kill('SIGKILL')
    await proc.exited()
    for (const s of agent.acked) acked.add(s)
    t.log(`round ${round + 1}: sent ${first}-${next - 1}, ${agent.acked.size} acknowledged before the kill`)
    await agent.close()
  }
  const stored = (await node.readFeed()).map((r) => r.packetId)
  t.deepEqual([...acked].filter((s) => !stored.includes(s)), [], 'every acknowledged reading is in the feed')
  t.is(new Set(stored).size, stored.length, 'none is there twice')
})

test('a captured datagram sent again is acknowledged again and not stored again, also after a restart and a kill', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const device = lanDevice('kitchen')
  const node = await lanNode(t, bootstrap, [device])
  let proc = await node.start()
  const agent = await lanAgent(t, { keys: device, port: node.port })
  const captured = sealReading(device, { sequence: 1, topic: 'meter/kitchen', payload: Buffer.from('21.5') })
  const acksOf1 = (): number => agent.acks.filter((a) => a.sequences.includes(1)).length

  await agent.sendRaw(captured)
  await until('the first acknowledgement', () => acksOf1() === 1 ? true : undefined, 10_000, 10)
  await agent.sendRaw(captured)
  await until('a second acknowledgement', () => acksOf1() === 2 ? true : undefined, 10_000, 10)
  t.like(await node.lanStatus(), { received: 2, stored: 1, duplicates: 1 })

  t.is((await proc.stop(3000)).code, 0)
  proc = await node.start()
  await agent.sendRaw(captured)
  await until('an acknowledgement after the restart', () => acksOf1() === 3 ? true : undefined, 10_000, 10)
  proc.child.kill('SIGKILL')
  await proc.exited()
  proc = await node.start()
  await agent.sendRaw(captured)
  await until('an acknowledgement after the kill', () => acksOf1() === 4 ? true : undefined, 10_000, 10)
  t.like(await node.lanStatus(), { received: 1, stored: 0, duplicates: 1 })
  t.is((await proc.stop(3000)).code, 0)
  t.deepEqual((await node.readFeed()).map((r) => r.packetId), [1])
})

test('every kind of bad datagram is dropped and counted by reason, logged once, and the node keeps serving', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const device = lanDevice('kitchen')
  const node = await lanNode(t, bootstrap, [device])
  const proc = await node.start()
  const agent = await lanAgent(t, { keys: device, port: node.port })
  const reading = (sequence: number, topic = 'meter/kitchen'): ReadingToSeal => ({ sequence, topic, payload: Buffer.from('1') })
  await agent.send(reading(2000))
  await agent.waitForAcks([2000])

  const good = sealReading(device, reading(2001))
  const badTag = Buffer.from(good)
  badTag[badTag.byteLength - 1] ^= 1
  const bad: Array<[DropReason, Uint8Array]> = [
    ['oversized', Buffer.alloc(1401, 1)],
    ['truncated', good.subarray(0, 60)],
    ['unknown-kind', Buffer.from([3, ...good.subarray(1)])],
    ['unknown-device', sealReading(newAgentKeys(), reading(1))],
    ['bad-tag', badTag],
    ['bad-sequence', sealReading(device, reading(0))],
    ['bad-record', sealReading(device, reading(2002), Buffer.alloc(20, 0xff))],
    ['unrouted-topic', sealReading(device, reading(2003, 'kitchen/light'))],
    ['too-old', sealReading(device, reading(2000 - 1025))],
    ['far-future', sealReading(device, reading(2000 + 2 ** 20 + 1))]
  ]
  for (const [, datagram] of bad) for (let i = 0; i < 3; i++) await agent.sendRaw(datagram)
  await agent.send(reading(2004))
  await agent.waitForAcks([2004])

  const status = await node.lanStatus()
  const expected = Object.fromEntries(DROP_REASONS.map((r) => [r, bad.some(([reason]) => reason === r) ? 3 : 0]))
  t.deepEqual(status.dropped, expected)
  t.like(status, { received: 2 + 3 * bad.length, stored: 2 })
  t.true(await proc.waitFor('lan-datagram-dropped', 1000, (e) => e.reason === 'too-old').then(() => true))
  const dropLines = proc.events.filter((e) => e.event === 'lan-datagram-dropped')
  t.deepEqual(dropLines.map((e) => e.reason).sort(), bad.map(([reason]) => reason).sort(), 'one line per reason, not per datagram')
  t.true(dropLines.every((e) => e.dropped === 1 && String(e.from).startsWith('127.0.0.1:')))
  t.false(JSON.stringify(proc.events).includes(device.key), 'no log line holds the key')
  t.is((await proc.stop(3000)).code, 0)
  t.deepEqual((await node.readFeed()).map((r) => r.packetId), [2000, 2004])
})

test('an authentic reading no rule routes is acknowledged; one below the window gets an empty acknowledgement, at most one a second; others nothing', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const device = lanDevice('kitchen')
  const node = await lanNode(t, bootstrap, [device])
  const proc = await node.start()
  const agent = await lanAgent(t, { keys: device, port: node.port })
  const reading = (sequence: number, topic = 'meter/kitchen'): ReadingToSeal => ({ sequence, topic, payload: Buffer.from('1') })
  await agent.send(reading(3000))
  await agent.waitForAcks([3000])

  // Not wanted by the rules: acknowledged (the agent would send it forever otherwise), not stored.
  for (let i = 0; i < 3; i++) await agent.sendRaw(sealReading(device, reading(3001, 'kitchen/light')))
  await agent.waitForAcks([3001])
  // Each copy may be answered on its own. The node answers in arrival order, so once a
  // copy of the stored 3000 sent after them is answered, so are they all.
  const answered = agent.acks.length
  await agent.sendRaw(sealReading(device, reading(3000)))
  await until('the acknowledgement of 3000 sent again', () => agent.acks.slice(answered).some((a) => a.sequences.includes(3000)) ? true : undefined, 10_000)

  // 300 authentic readings below the window, as a replay flood would send them.
  const tooOld = sealReading(device, reading(1000))
  const acksBefore = agent.acks.length
  const started = Date.now()
  for (let i = 0; i < 300; i++) await agent.sendRaw(tooOld)
  const seconds = (Date.now() - started) / 1000
  // Unauthentic, unknown or far ahead: never answered.
  const badTag = sealReading(device, reading(3002))
  badTag[badTag.byteLength - 1] ^= 1
  await agent.sendRaw(badTag)
  await agent.sendRaw(sealReading(newAgentKeys(), reading(1)))
  await agent.sendRaw(sealReading(device, reading(3000 + 2 ** 20 + 1)))
  await agent.send(reading(3002))
  await agent.waitForAcks([3002])

  const empty = agent.acks.slice(acksBefore).filter((a) => a.sequences.length === 0)
  t.log(`${empty.length} empty acknowledgements for 300 datagrams too old, sent in ${seconds.toFixed(2)} s`)
  t.true(empty.length >= 1, 'no empty acknowledgement')
  t.true(empty.length <= 1 + Math.ceil(seconds), `${empty.length} empty acknowledgements in ${seconds} s`)
  t.true(empty.every((a) => a.highest === 3000))
  t.deepEqual(agent.acks.slice(acksBefore).filter((a) => a.sequences.length > 0).flatMap((a) => a.sequences), [3002], 'something else was acknowledged')
  t.is(agent.strays, 0)
  t.like(await node.lanStatus(), { stored: 2, dropped: { 'unrouted-topic': 3, 'too-old': 300, 'bad-tag': 1, 'unknown-device': 1, 'far-future': 1 } })
  const unrouted = proc.events.filter((e) => e.event === 'lan-datagram-dropped' && e.reason === 'unrouted-topic')
  t.deepEqual(unrouted.map((e) => [e.device, e.topic]), [['kitchen', 'kitchen/light']])
  t.is((await proc.stop(3000)).code, 0)
  t.deepEqual((await node.readFeed()).map((r) => r.packetId), [3000, 3002])
})

test('a device whose key file others may read is left out with its code and hint; the others keep working', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const good = lanDevice('kitchen')
  const exposed = lanDevice('attic')
  const keyFile = path.join(tmpDir(t), 'attic.key')
  fs.writeFileSync(keyFile, exposed.key + '\n', { mode: 0o644 })
  const node = await lanNode(t, bootstrap, [good, { ...exposed, key: null, keyFile }])
  const proc = await node.start()
  const error = await proc.waitFor('lan-device-error', 5000)
  t.like(error, { device: 'attic', code: 'LAN_KEY_PERMISSIONS', hint: `run: chmod 600 ${keyFile}` })
  const agent = await lanAgent(t, { keys: good, port: node.port })
  await agent.send({ sequence: 1, topic: 'meter/kitchen', payload: Buffer.from('1') })
  await agent.waitForAcks([1])
  const attic = await lanAgent(t, { keys: exposed, port: node.port })
  await attic.send({ sequence: 1, topic: 'meter/attic', payload: Buffer.from('1') })
  t.like(await node.lanStatus(), { devices: 1, stored: 1, dropped: { 'unknown-device': 1 } })
  t.false(JSON.stringify(proc.events).includes(exposed.key))
})

test('the bridge and lan-ingest write one feed through one batcher: both kinds of reading land in it', async (t) => {
  const broker = await startMosquitto(t)
  const { bootstrap } = await startTestnet(t)
  const device = lanDevice('kitchen')
  const node = await lanNode(t, bootstrap, [device], {
    roles: ['bridge', 'lan-ingest'],
    bridge: {
      broker: broker.url, caFile: null, clientId: 'roost-lan-bridge', username: null, password: null,
      rules: [{ filter: 'meter/#', feed: 'meter', decoder: 'number' }], commandTopics: [], ...BRIDGE_DEFAULTS
    }
  })
  const proc = await node.start()
  await proc.waitFor('broker-connected', 20_000)
  await broker.waitForLog(/ roost-lan-bridge 1 meter\/#$/)
  const agent = await lanAgent(t, { keys: device, port: node.port })
  await agent.send({ sequence: 1, topic: 'meter/lan', payload: Buffer.from('1') })
  await publish(broker, 'meter/mqtt', '2')
  await agent.send({ sequence: 2, topic: 'meter/lan', payload: Buffer.from('3') })
  await agent.waitForAcks([1, 2])
  await until('the broker\'s reading stored', async () => (await node.status()).bridge?.stored === 1 ? true : undefined, 10_000)
  t.is((await proc.stop(3000)).code, 0)
  const records = await node.readFeed()
  t.deepEqual(records.map((r) => r.topic).sort(), ['meter/lan', 'meter/lan', 'meter/mqtt'])
})

test('`roost agent add` makes an agent a running node takes readings from within a second; `remove` lets it go', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const node = await lanNode(t, bootstrap, [])
  const proc = await node.start()
  const home = tmpDir(t)
  const storage = ['--storage', node.dataDir]

  const added = await roost(['agent', 'add', 'attic', ...storage, '--node', `127.0.0.1:${node.port}`], { home })
  t.is(added.code, 0, added.stderr)
  const options = Object.fromEntries([...added.stdout.matchAll(/^\toption (\w+) '([^']*)'$/gm)].map((m) => [m[1], m[2]]))
  t.is(added.stdout.split('\n')[0], 'config agent \'main\'')
  t.deepEqual(Object.keys(options), ['node', 'id', 'key'])
  t.is(options.node, `127.0.0.1:${node.port}`)
  t.regex(options.id, /^[0-9a-f]{16}$/)
  t.regex(options.key, /^[0-9a-f]{64}$/)
  t.regex(added.stderr, /the key above is a secret/)
  t.false(added.stderr.includes(options.key), 'the key goes to stdout only')
  const file = path.join(node.dataDir, 'agents', 'attic.json')
  t.is(fs.statSync(file).mode & 0o777, 0o600)
  t.like(JSON.parse(fs.readFileSync(file, 'utf8')), { name: 'attic', id: options.id, key: options.key, rules: [{ filter: '#', feed: 'attic', decoder: 'json' }] })

  // No restart: the node looks at agents/ every second.
  t.like(await proc.waitFor('lan-device-added', 5000, (e) => e.device === 'attic'), { id: options.id, source: 'agents' })
  const agent = await lanAgent(t, { keys: { id: options.id, key: options.key }, port: node.port })
  await agent.send({ sequence: 1, topic: 'router/load', payload: Buffer.from('0.25') })
  await agent.waitForAcks([1])

  const status = await roost(['status', '--peer', node.nodeKey!, '--bootstrap', bootstrap[0]], { home: node.home })
  t.is(status.code, 0, status.stderr)
  t.regex(status.stdout, /^lan {6}listening, 1 agents; 1 datagrams, 1 stored, 0 sent again, 1 acks; dropped: none$/m)

  const listed = await roost(['agent', 'ls', ...storage], { home })
  t.is(listed.code, 0, listed.stderr)
  t.regex(listed.stdout, new RegExp(`^attic  id ${options.id}  #=attic:json  added \\d{4}-`))
  t.false(listed.stdout.includes(options.key))

  const again = await roost(['agent', 'add', 'attic', ...storage], { home })
  t.is(again.code, 1)
  t.regex(again.stderr, /^AGENT_EXISTS: /)
  const removed = await roost(['agent', 'remove', 'attic', ...storage], { home })
  t.is(removed.code, 0, removed.stderr)
  await proc.waitFor('lan-device-removed', 5000, (e) => e.device === 'attic')
  await agent.send({ sequence: 2, topic: 'router/load', payload: Buffer.from('0.5') })
  await until('the reading dropped', async () => (await node.lanStatus()).dropped['unknown-device'] === 1 ? true : undefined, 10_000)
  t.false(JSON.stringify(proc.events).includes(options.key), 'no log line holds the key')
  t.is((await proc.stop(3000)).code, 0)
  t.deepEqual((await readFeed(node.dataDir, 'attic')).map((r) => [r.packetId, r.topic, Buffer.from(r.payload).toString()]), [[1, 'router/load', '0.25']])
})

test('a port another program holds is logged with its code and hint, and the node serves on without the role', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const node = await lanNode(t, bootstrap, [lanDevice('kitchen')])
  const squatter = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => squatter.bind(node.port, '127.0.0.1', () => resolve()))
  t.teardown(() => squatter.close())
  const proc = launchNode(t, node.launch)
  const error = await proc.waitFor('lan-ingest-error', 20_000)
  t.like(error, { code: 'LAN_LISTEN_FAILED' })
  t.regex(String(error.hint), /set lanIngest port/)
  node.nodeKey = String((await proc.waitFor('ready', 20_000)).publicKey)
  const status = await node.status()
  t.deepEqual([status.roles, status.lanIngest], [['lan-ingest'], null])
})

test('the lan-ingest role without a lanIngest section is reported pending, as the bridge is without a broker', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const node = await lanNode(t, bootstrap, [])
  const proc = launchNode(t, { ...node.launch, config: { ...node.launch.config, lanIngest: null } })
  t.like(await proc.waitFor('role-pending', 20_000), { role: 'lan-ingest', reason: 'no lanIngest section in the config (port and devices)' })
})
