// Both ends of the control channel. Either side can ping and answer pings; the side
// given a `status` handler answers status requests, after its own trust check.
import { nowMs } from '../clock.ts'
import Protomux from 'protomux'
import type { NoiseSecretStream } from 'hyperdht'
import { NodeError } from '../errors.ts'
import * as proto from './protocol.ts'
import type { NodeStatus, Refusal } from './protocol.ts'

export interface ControlHandlers {
  // Returns the status, or a refusal for a key that may not see it.
  status?: (remotePublicKey: Uint8Array) => NodeStatus | Omit<Refusal, 'id'>
}

export interface ControlChannel {
  opened: Promise<void>
  ping (): Promise<number>
  status (): Promise<NodeStatus>
  close (): void
}

interface Pending<T> { resolve: (value: T) => void, reject: (err: Error) => void, timer: ReturnType<typeof setTimeout> }

const REQUEST_TIMEOUT_MS = 10_000

export function openControlChannel (socket: NoiseSecretStream, handlers: ControlHandlers = {}): ControlChannel {
  const mux = Protomux.from(socket)
  const pings = new Map<number, Pending<number> & { sentAt: number }>()
  const statuses = new Map<number, Pending<NodeStatus>>()
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
      for (const p of [...pings.values(), ...statuses.values()]) {
        clearTimeout(p.timer)
        p.reject(err)
      }
      pings.clear()
      statuses.clear()
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
      const p = pings.get(m.seq)
      if (!p) return
      pings.delete(m.seq)
      clearTimeout(p.timer)
      p.resolve(nowMs() - p.sentAt)
    }
  })
  const statusRequestMsg = channel.addMessage({
    encoding: proto.statusRequest,
    onmessage (m) {
      const answer = handlers.status
        ? handlers.status(socket.remotePublicKey)
        : { code: 'NOT_SERVED', message: 'this peer does not serve status' }
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
    onmessage (m) { settle(statuses, m.id, (p) => p.reject(NodeError.REFUSED(m.code, m.message))) }
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
      return request(pings, (seq) => pingMsg.send({ seq }), 'ping', { sentAt: nowMs() })
    },
    status () {
      return request(statuses, (id) => statusRequestMsg.send({ id }), 'status')
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
