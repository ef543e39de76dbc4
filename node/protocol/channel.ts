// Both ends of the control channel. Either side can ping and answer pings; the side
// given handlers answers the other requests, after its own trust checks. A request and
// its answer share an id: one table of requests waiting, one way to ask (`request`) and
// one way to answer (`respond`), like protomux-rpc's `rpc.request` and `rpc.respond`.
import Protomux, { type Message } from 'protomux'
import type { NoiseSecretStream } from 'hyperdht'
import { nowMs } from '../platform/clock.ts'
import { NodeError } from '../errors.ts'
import type { Codec } from './codec.ts'
import * as hm from './health-messages.ts'
import type { NodeHealth } from './health-messages.ts'
import * as proto from './messages.ts'
import type { FeedsReply, NodeStatus, PublishRequest } from './messages.ts'
import { Refusal, type Refused } from './refusals.ts'
import * as sp from './storage-messages.ts'
import type { HoldingsReply, KeepRequest } from './storage-messages.ts'

export interface ControlHandlers {
  // Returns the status, or a refusal for a key that may not see it.
  status?: (remotePublicKey: Uint8Array) => NodeStatus | Refused
  feeds?: (remotePublicKey: Uint8Array) => Omit<FeedsReply, 'id'> | Refused
  publish?: (remotePublicKey: Uint8Array, request: Omit<PublishRequest, 'id'>) => Promise<Refused | null>
  pair?: (remotePublicKey: Uint8Array, secret: Uint8Array) => Promise<Refused | null>
  keep?: (remotePublicKey: Uint8Array, request: Omit<KeepRequest, 'id'>) => Promise<Refused | null>
  drop?: (remotePublicKey: Uint8Array, key: Uint8Array) => Promise<Refused | null>
  holdings?: (remotePublicKey: Uint8Array, keys: Uint8Array[]) => Promise<Omit<HoldingsReply, 'id'> | Refused>
  health?: (remotePublicKey: Uint8Array) => NodeHealth | Refused
}

export interface ControlChannel {
  opened: Promise<void>
  ping (): Promise<number>
  status (): Promise<NodeStatus>
  feeds (): Promise<Omit<FeedsReply, 'id'>>
  publish (topic: string, payload: Uint8Array, qos: number): Promise<void>
  pair (secret: Uint8Array): Promise<void>
  keep (request: Omit<KeepRequest, 'id'>): Promise<void>
  drop (key: Uint8Array): Promise<void>
  // Every core the caller may see, or only the ones named.
  holdings (keys?: Uint8Array[]): Promise<Omit<HoldingsReply, 'id'>>
  health (): Promise<NodeHealth>
  close (): void
}

const REQUEST_TIMEOUT_MS = 10_000

// Each kind of request: the message that asks, and the message that answers.
interface Requests {
  ping: [proto.Ping, proto.Ping]
  status: [proto.StatusRequest, proto.StatusReply]
  feeds: [proto.FeedsRequest, FeedsReply]
  publish: [PublishRequest, proto.PublishReply]
  pair: [sp.PairRequest, sp.Done]
  keep: [KeepRequest, sp.Done]
  drop: [sp.DropRequest, sp.Done]
  holdings: [sp.HoldingsRequest, HoldingsReply]
  health: [hm.HealthRequest, hm.HealthReply]
}
type Kind = keyof Requests
type Ask<K extends Kind> = Requests[K][0]
type Answer<K extends Kind> = Requests[K][1]
// A message as the caller writes it and the responder reads it: the channel adds the id.
type Body<M> = Omit<M, 'id'>
type Responder<K extends Kind> = (remotePublicKey: Uint8Array, request: Body<Ask<K>>) =>
  Body<Answer<K>> | Refused | Promise<Body<Answer<K>> | Refused>
type Responders = { [K in Kind]?: Responder<K> }

interface Pending { resolve (reply: object): void, reject (err: Error): void, timer: ReturnType<typeof setTimeout> }

export function openControlChannel (socket: NoiseSecretStream, handlers: ControlHandlers = {}): ControlChannel {
  const mux = Protomux.from(socket)
  // Every kind shares one id space, so an answer or a refusal finds its request by id.
  const pending = new Map<number, Pending>()
  const responders: Responders = {}
  let nextId = 1
  let onOpen: () => void = () => {}
  let onClose: (err: Error) => void = () => {}
  const opened = new Promise<void>((resolve, reject) => { onOpen = resolve; onClose = reject })
  // A peer that closes before the channel opens is reported by the first request.
  opened.catch(() => {})

  const channel = mux.createChannel({
    protocol: proto.PROTOCOL,
    onopen () { onOpen() },
    onclose () {
      const err = NodeError.PEER_CLOSED()
      onClose(err)
      for (const p of pending.values()) {
        clearTimeout(p.timer)
        p.reject(err)
      }
      pending.clear()
    }
  })
  if (channel === null) throw NodeError.PEER_CLOSED()

  const asks = <K extends Kind> (kind: K, encoding: Codec<Ask<K>>): Message<Ask<K>> =>
    channel.addMessage({ encoding, onmessage: (message) => serve(kind, message) })
  const answers = <M extends { id: number }> (encoding: Codec<M>): Message<M> =>
    channel.addMessage({ encoding, onmessage: ({ id, ...reply }) => settle(id, (p) => p.resolve(reply)) })

  // protomux numbers a channel's messages in the order they are added, and deployed
  // nodes know them by those numbers: this order is the wire's, and new messages go last.
  const ping = asks('ping', proto.ping)
  const pong = answers(proto.ping)
  const statusRequest = asks('status', proto.statusRequest)
  const statusReply = answers(proto.statusReply)
  const refusal = channel.addMessage({
    encoding: proto.refusal,
    onmessage: ({ id, code, message }) => settle(id, (p) => p.reject(NodeError.REFUSED(code, message)))
  })
  const feedsRequest = asks('feeds', proto.feedsRequest)
  const feedsReply = answers(proto.feedsReply)
  const publishRequest = asks('publish', proto.publishRequest)
  const publishReply = answers(proto.publishReply)
  const pairRequest = asks('pair', sp.pairRequest)
  const keepRequest = asks('keep', sp.keepRequest)
  const dropRequest = asks('drop', sp.dropRequest)
  const done = answers(sp.done)
  const holdingsRequest = asks('holdings', sp.holdingsRequest)
  const holdingsReply = answers(sp.holdingsReply)
  const healthRequest = asks('health', hm.healthRequest)
  const healthReply = answers(hm.healthReply)

  // What a timeout calls each kind, and its two messages.
  const kinds: { [K in Kind]: { what: string, ask: Message<Ask<K>>, answer: Message<Answer<K>> } } = {
    ping: { what: 'ping', ask: ping, answer: pong },
    status: { what: 'status', ask: statusRequest, answer: statusReply },
    feeds: { what: 'feed list', ask: feedsRequest, answer: feedsReply },
    publish: { what: 'publish', ask: publishRequest, answer: publishReply },
    pair: { what: 'pair', ask: pairRequest, answer: done },
    keep: { what: 'keep', ask: keepRequest, answer: done },
    drop: { what: 'drop', ask: dropRequest, answer: done },
    holdings: { what: 'holdings', ask: holdingsRequest, answer: holdingsReply },
    health: { what: 'health', ask: healthRequest, answer: healthReply }
  }

  function request<K extends Kind> (kind: K, message: Body<Ask<K>>): Promise<Body<Answer<K>>> {
    if (channel!.closed) return Promise.reject(NodeError.PEER_CLOSED())
    const { what, ask } = kinds[kind]
    const id = nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(NodeError.TIMEOUT(what, REQUEST_TIMEOUT_MS))
      }, REQUEST_TIMEOUT_MS)
      pending.set(id, { resolve: resolve as Pending['resolve'], reject, timer })
      ask.send({ ...message, id } as Ask<K>)
    })
  }

  function settle (id: number, fn: (p: Pending) => void): void {
    const p = pending.get(id)
    if (!p) return
    pending.delete(id)
    clearTimeout(p.timer)
    fn(p)
  }

  function respond<K extends Kind> (kind: K, responder: Responder<K>): void {
    responders[kind] = responder as Responders[K]
  }

  // Every request gets an answer, never silence: a side without a responder refuses it,
  // and a responder that fails (a full disk, say) answers FAILED instead of a timeout.
  function serve<K extends Kind> (kind: K, { id, ...request }: Ask<K>): void {
    const responder = responders[kind] as Responder<K> | undefined
    const work = responder === undefined
      ? Promise.resolve(Refusal.NOT_SERVED())
      : Promise.resolve().then(() => responder(socket.remotePublicKey, request))
    work.catch((err: unknown) => Refusal.FAILED(err instanceof Error ? err.message : String(err))).then((answer) => {
      if (channel!.closed) return
      if (isRefused(answer)) refusal.send({ id, ...answer })
      else kinds[kind].answer.send({ ...answer, id } as Answer<K>)
    })
  }

  // Pings are answered for anyone; the handlers answer the rest.
  respond('ping', () => ({}))
  const { status, feeds, publish, pair, keep, drop, holdings, health } = handlers
  if (status) respond('status', (peer) => { const s = status(peer); return isRefused(s) ? s : { status: s } })
  if (feeds) respond('feeds', feeds)
  if (publish) respond('publish', async (peer, message) => await publish(peer, message) ?? {})
  if (pair) respond('pair', async (peer, { secret }) => await pair(peer, secret) ?? {})
  if (keep) respond('keep', async (peer, message) => await keep(peer, message) ?? {})
  if (drop) respond('drop', async (peer, { key }) => await drop(peer, key) ?? {})
  if (holdings) respond('holdings', (peer, { keys }) => holdings(peer, keys))
  if (health) respond('health', (peer) => { const h = health(peer); return isRefused(h) ? h : { health: h } })
  channel.open()

  return {
    opened,
    async ping () {
      const sentAt = nowMs()
      await request('ping', {})
      return nowMs() - sentAt
    },
    async status () { return (await request('status', {})).status },
    feeds () { return request('feeds', {}) },
    async publish (topic, payload, qos) { await request('publish', { topic, payload, qos }) },
    async pair (secret) { await request('pair', { secret }) },
    async keep (core) { await request('keep', core) },
    async drop (key) { await request('drop', { key }) },
    holdings (keys = []) { return request('holdings', { keys }) },
    async health () { return (await request('health', {})).health },
    close () { channel.close() }
  }
}

// No reply has a `code` field, so one marks a refusal.
function isRefused (answer: object): answer is Refused {
  return 'code' in answer
}
