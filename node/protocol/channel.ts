// Both ends of the control channel. Either side can ping and answer pings; the side
// given a `status` handler answers status requests, after its own trust check.
import { nowMs } from '../platform/clock.ts'
import Protomux from 'protomux'
import type { NoiseSecretStream } from 'hyperdht'
import { NodeError } from '../errors.ts'
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
}

const NOT_SERVED: Refused = Refusal.NOT_SERVED()

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
  close (): void
}

interface Pending<T> { resolve: (value: T) => void, reject: (err: Error) => void, timer: ReturnType<typeof setTimeout> }

const REQUEST_TIMEOUT_MS = 10_000

export function openControlChannel (socket: NoiseSecretStream, handlers: ControlHandlers = {}): ControlChannel {
  const mux = Protomux.from(socket)
  const pings = new Map<number, Pending<number> & { sentAt: number }>()
  const statuses = new Map<number, Pending<NodeStatus>>()
  const feedLists = new Map<number, Pending<Omit<FeedsReply, 'id'>>>()
  const publishes = new Map<number, Pending<void>>()
  // pair, keep and drop are all answered by `done`.
  const dones = new Map<number, Pending<void>>()
  const holdingLists = new Map<number, Pending<Omit<HoldingsReply, 'id'>>>()
  // Every request kind shares one id space, so a refusal finds its request.
  const tables: Array<Map<number, Pending<never>>> = [statuses, feedLists, publishes, dones, holdingLists] as never
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
      for (const table of [pings, ...tables] as Array<Map<number, Pending<unknown>>>) {
        for (const p of table.values()) {
          clearTimeout(p.timer)
          p.reject(err)
        }
        table.clear()
      }
    }
  })
  if (channel === null) throw NodeError.PEER_CLOSED()

  const pingMsg = channel.addMessage({
    encoding: proto.ping,
    onmessage (m) { pongMsg.send(m) }
  })
  const pongMsg = channel.addMessage({
    encoding: proto.ping,
    onmessage (m) {
      const p = pings.get(m.id)
      if (!p) return
      pings.delete(m.id)
      clearTimeout(p.timer)
      p.resolve(nowMs() - p.sentAt)
    }
  })
  const statusRequestMsg = channel.addMessage({
    encoding: proto.statusRequest,
    onmessage (m) {
      const answer = handlers.status ? handlers.status(socket.remotePublicKey) : NOT_SERVED
      if ('code' in answer) refusalMsg.send({ id: m.id, ...answer })
      else statusReplyMsg.send({ id: m.id, status: answer })
    }
  })
  const statusReplyMsg = channel.addMessage({
    encoding: proto.statusReply,
    onmessage (m) { settle(statuses, m.id, (p) => p.resolve(m.status)) }
  })
  const refusalMsg = channel.addMessage({
    encoding: proto.refusal,
    onmessage (m) {
      for (const table of tables) settle(table, m.id, (p) => p.reject(NodeError.REFUSED(m.code, m.message)))
    }
  })
  const feedsRequestMsg = channel.addMessage({
    encoding: proto.feedsRequest,
    onmessage (m) {
      const answer = handlers.feeds ? handlers.feeds(socket.remotePublicKey) : NOT_SERVED
      if ('code' in answer) refusalMsg.send({ id: m.id, ...answer })
      else feedsReplyMsg.send({ id: m.id, ...answer })
    }
  })
  const feedsReplyMsg = channel.addMessage({
    encoding: proto.feedsReply,
    onmessage (m) { settle(feedLists, m.id, (p) => p.resolve({ feedKey: m.feedKey, feeds: m.feeds })) }
  })
  const publishRequestMsg = channel.addMessage({
    encoding: proto.publishRequest,
    onmessage (m) {
      const answer = handlers.publish ? handlers.publish(socket.remotePublicKey, m) : Promise.resolve(NOT_SERVED)
      answer.then((refused) => {
        if (channel!.closed) return
        if (refused) refusalMsg.send({ id: m.id, ...refused })
        else publishReplyMsg.send({ id: m.id })
      }, () => {})
    }
  })
  const publishReplyMsg = channel.addMessage({
    encoding: proto.publishReply,
    onmessage (m) { settle(publishes, m.id, (p) => p.resolve()) }
  })
  // Answers a request whose handler works asynchronously: done, or the refusal.
  function answer (id: number, work: Promise<Refused | null> | undefined): void {
    (work ?? Promise.resolve(NOT_SERVED)).then((refused) => {
      if (channel!.closed) return
      if (refused) refusalMsg.send({ id, ...refused })
      else doneMsg.send({ id })
    }, (err: Error) => {
      // A failure on this side (a full disk, say) still gets an answer, not a timeout.
      if (!channel!.closed) refusalMsg.send({ id, ...Refusal.FAILED(err.message) })
    })
  }
  const pairMsg = channel.addMessage({
    encoding: sp.pairRequest,
    onmessage (m) { answer(m.id, handlers.pair?.(socket.remotePublicKey, m.secret)) }
  })
  const keepMsg = channel.addMessage({
    encoding: sp.keepRequest,
    onmessage (m) { answer(m.id, handlers.keep?.(socket.remotePublicKey, m)) }
  })
  const dropMsg = channel.addMessage({
    encoding: sp.dropRequest,
    onmessage (m) { answer(m.id, handlers.drop?.(socket.remotePublicKey, m.key)) }
  })
  const doneMsg = channel.addMessage({
    encoding: sp.done,
    onmessage (m) { settle(dones, m.id, (p) => p.resolve()) }
  })
  const holdingsRequestMsg = channel.addMessage({
    encoding: sp.holdingsRequest,
    onmessage (m) {
      const work = handlers.holdings ? handlers.holdings(socket.remotePublicKey, m.keys) : Promise.resolve(NOT_SERVED)
      work.then((reply) => {
        if (channel!.closed) return
        if ('code' in reply) refusalMsg.send({ id: m.id, ...reply })
        else holdingsReplyMsg.send({ id: m.id, ...reply })
      }, () => {})
    }
  })
  const holdingsReplyMsg = channel.addMessage({
    encoding: sp.holdingsReply,
    onmessage (m) { settle(holdingLists, m.id, (p) => p.resolve({ holdings: m.holdings, usage: m.usage })) }
  })
  channel.open()

  function request<T> (table: Map<number, Pending<T>>, send: (id: number) => void, what: string, extra?: object): Promise<T> {
    if (channel!.closed) return Promise.reject(NodeError.PEER_CLOSED())
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        table.delete(id)
        reject(NodeError.TIMEOUT(what, REQUEST_TIMEOUT_MS))
      }, REQUEST_TIMEOUT_MS)
      table.set(id, { resolve, reject, timer, ...extra } as Pending<T>)
      send(id)
    })
  }

  return {
    opened,
    ping () {
      return request(pings, (seq) => pingMsg.send({ id: seq }), 'ping', { sentAt: nowMs() })
    },
    status () {
      return request(statuses, (id) => statusRequestMsg.send({ id }), 'status')
    },
    feeds () {
      return request(feedLists, (id) => feedsRequestMsg.send({ id }), 'feed list')
    },
    publish (topic, payload, qos) {
      return request(publishes, (id) => publishRequestMsg.send({ id, topic, payload, qos }), 'publish')
    },
    pair (secret) {
      return request(dones, (id) => pairMsg.send({ id, secret }), 'pair')
    },
    keep (req) {
      return request(dones, (id) => keepMsg.send({ id, ...req }), 'keep')
    },
    drop (key) {
      return request(dones, (id) => dropMsg.send({ id, key }), 'drop')
    },
    holdings (keys = []) {
      return request(holdingLists, (id) => holdingsRequestMsg.send({ id, keys }), 'holdings')
    },
    close () { channel.close() }
  }
}

function settle<T> (table: Map<number, Pending<T>>, id: number, fn: (p: Pending<T>) => void): void {
  const p = table.get(id)
  if (!p) return
  table.delete(id)
  clearTimeout(p.timer)
  fn(p)
}
