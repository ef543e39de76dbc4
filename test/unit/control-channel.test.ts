// Both ends of the control channel in one process, over an in-memory connection: each
// request and its answer travel as the message types deployed nodes know them by, and
// every request gets its reply, a refusal, or an error saying why not.
import { mock } from 'node:test'
import test, { type ExecutionContext } from 'ava'
import { openControlChannel, type ControlChannel, type ControlHandlers } from '../../node/protocol/channel.ts'
import type { NodeStatus } from '../../node/protocol/messages.ts'
import type { NodeHealth } from '../../node/protocol/health-messages.ts'
import { Refusal } from '../../node/protocol/refusals.ts'
import { streamPair, type FramedEnd } from '../helpers/stream-pair.ts'

const key = (byte: number): Uint8Array => new Uint8Array(32).fill(byte)
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const never = <T> (): Promise<T> => new Promise<T>(() => {})

const status: NodeStatus = {
  publicKey: key(0xaa), version: '0.1.0', boardId: 'pi', host: 'linux-x64', runtime: 'bare', roles: [],
  uptimeMs: 5, storageBytes: 0, connections: 1, feeds: [], bridge: null, storage: null, lanIngest: null, relay: null, network: null
}

const health: NodeHealth = {
  version: '0.1.0', boardId: 'pi', host: 'linux-x64', runtime: 'bare', roles: [], uptimeMs: 5, dataBytes: 0, budgetBytes: 1,
  coresKept: null, feeds: null, broker: null, errors: [], memory: { rssBytes: 1, peakRssBytes: 2, heapUsedBytes: 3, heapTotalBytes: 4 }, lanIngest: null
}

interface Connected { client: ControlChannel, node: ControlChannel, clientEnd: FramedEnd, nodeEnd: FramedEnd }

async function connect (t: ExecutionContext, handlers: ControlHandlers): Promise<Connected> {
  const [clientEnd, nodeEnd] = streamPair(t, key(1), key(2))
  const node = openControlChannel(nodeEnd.socket, handlers)
  const client = openControlChannel(clientEnd.socket)
  await client.opened
  return { client, node, clientEnd, nodeEnd }
}

// The frames of f00ed79, whose channels added their messages in this order: ping 0,
// pong 1, status 2 and 3, refusal 4, feeds 5 and 6, publish 7 and 8, pair 9, keep 10,
// drop 11, done 12, holdings 13 and 14; then health 15 and 16, added after f00ed79. Each
// frame is the channel, the type, the message.
test('every request and its answer travel as the message types deployed nodes use', async (t) => {
  const { client, clientEnd, nodeEnd } = await connect(t, {
    status: () => status,
    feeds: () => ({ feedKey: key(0x11), feeds: [] }),
    publish: async () => null,
    pair: async () => null,
    keep: async () => Refusal.QUOTA_CORES(1, 1),
    drop: async () => null,
    holdings: async () => ({ holdings: [], usage: { cores: 0, bytes: 0, coresLimit: 1, bytesLimit: 2 } }),
    health: () => health
  })
  const exchanges: Array<[() => Promise<unknown>, string, string]> = [
    [() => client.ping(), '010001', '010101'],
    [() => client.status(), '010202', '010302aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa05302e312e30027069096c696e75782d783634046261726500050001000000'],
    [() => client.feeds(), '010503', '010603111111111111111111111111111111111111111111111111111111111111111100'],
    [() => client.publish('t', new Uint8Array([1]), 1), '0107040174010101', '010804'],
    [() => client.pair(key(0x33)), '0109053333333333333333333333333333333333333333333333333333333333333333', '010c05'],
    [() => client.keep({ key: key(0x44), length: 1, byteLength: 2, evictable: false }),
      '010a064444444444444444444444444444444444444444444444444444444444444444010200',
      '0104060b51554f54415f434f52455342796f7572206b6579206d6179206b656570206174206d6f7374203120636f726573206f6e2074686973206e6f646520616e6420616c7265616479206b656570732031'],
    [() => client.drop(key(0x44)), '010b074444444444444444444444444444444444444444444444444444444444444444', '010c07'],
    [() => client.holdings(), '010d0800', '010e080000000102'],
    [() => client.health(), '010f09', '0110090205302e312e30027069096c696e75782d783634046261726500050001000000000102030400']
  ]
  for (const [call, request, answer] of exchanges) {
    const asked = clientEnd.sent.length
    const answered = nodeEnd.sent.length
    await call().catch(() => {})
    t.deepEqual([...clientEnd.sent.slice(asked), ...nodeEnd.sent.slice(answered)].map(hex), [request, answer])
  }
})

test('replies reach the caller as values', async (t) => {
  const { client } = await connect(t, {
    status: () => status,
    feeds: () => ({ feedKey: key(0x11), feeds: [{ name: 'meters', key: key(0x22), length: 1, byteLength: 10 }] })
  })
  t.true(await client.ping() >= 0)
  t.deepEqual(await client.status(), status)
  t.deepEqual(await client.feeds(), { feedKey: key(0x11), feeds: [{ name: 'meters', key: key(0x22), length: 1, byteLength: 10 }] })
})

test('a refusal reaches the caller with its code and message', async (t) => {
  const { client } = await connect(t, { keep: async () => Refusal.QUOTA_CORES(1, 1) })
  await t.throwsAsync(client.keep({ key: key(0x44), length: 1, byteLength: 2, evictable: false }),
    { code: 'QUOTA_CORES', message: 'your key may keep at most 1 cores on this node and already keeps 1' })
})

test('a request the other side does not serve is refused with NOT_SERVED', async (t) => {
  const { node } = await connect(t, {})
  await t.throwsAsync(node.status(), { code: 'NOT_SERVED' })
  await t.throwsAsync(node.holdings(), { code: 'NOT_SERVED' })
})

test('a responder that fails still answers, with FAILED and its reason', async (t) => {
  const { client } = await connect(t, {
    status: () => { throw RangeError('no uptime yet') },
    drop: async () => { throw RangeError('the disk went away') },
    holdings: () => Promise.reject(RangeError('the holdings file is busy'))
  })
  await t.throwsAsync(client.status(), { code: 'FAILED', message: 'no uptime yet' })
  await t.throwsAsync(client.drop(key(0x44)), { code: 'FAILED', message: 'the disk went away' })
  await t.throwsAsync(client.holdings(), { code: 'FAILED', message: 'the holdings file is busy' })
})

test('a request waiting when the channel closes fails with PEER_CLOSED, and so does one asked after', async (t) => {
  const { client } = await connect(t, { pair: never })
  const waiting = client.pair(key(0x33))
  client.close()
  await t.throwsAsync(waiting, { code: 'PEER_CLOSED' })
  await t.throwsAsync(client.ping(), { code: 'PEER_CLOSED' })
})

// Serial: the mocked clock is the whole process's while it is on.
test.serial('a request not answered within 10 s fails with TIMEOUT', async (t) => {
  const { client } = await connect(t, { holdings: never })
  mock.timers.enable({ apis: ['setTimeout'] })
  t.teardown(() => mock.timers.reset())
  const waiting = client.holdings()
  mock.timers.tick(10_000)
  await t.throwsAsync(waiting, { code: 'TIMEOUT', message: 'no answer to holdings within 10 s' })
})

test('the health reaches the caller as a value, and a refusal of it with its code', async (t) => {
  const { client } = await connect(t, { health: () => health })
  t.deepEqual(await client.health(), health)
  const refused = await connect(t, { health: () => Refusal.NOT_OPERATOR('yyyy') })
  await t.throwsAsync(refused.client.health(), { code: 'NOT_OPERATOR', message: 'only this node\'s operator key may ask for its health, not yyyy' })
})
