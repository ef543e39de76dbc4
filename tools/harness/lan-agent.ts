// A stand-in for the Lua agent, in TypeScript: seals reading datagrams with sodium as
// docs/decisions/lan-ingest-wire.md says, sends them over UDP on loopback, reads the
// node's acknowledgements and sends again what is not acknowledged, a bounded number
// in flight. The tests and the bench drive the real node with it.
import dgram from 'node:dgram'
import sodium from 'sodium-universal'
import { newDeviceKeys } from '../../node/lan/agent-files.ts'
import { HEADER_BYTES, ID_BYTES, KIND_ACK, KIND_READING, NONCE_AT, readUint64, SEALED_AT, TAG_BYTES, writeUint64 } from '../../node/lan/wire.ts'
import { until } from './wait.ts'

// A UDP port nothing listens on now: bound, read, let go.
export async function freeUdpPort (): Promise<number> {
  const socket = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()))
  const { port } = socket.address()
  await new Promise<void>((resolve) => socket.close(() => resolve()))
  return port
}

export interface AgentKeys {
  // 16 and 64 hex characters, as a node config and `roost agent add` write them.
  id: string
  key: string
}

export interface ReadingToSeal {
  sequence: number
  topic: string
  payload: Uint8Array
  takenAt?: number
}

export const newAgentKeys: () => AgentKeys = newDeviceKeys

export function recordBytes (reading: ReadingToSeal): Uint8Array {
  const topic = Buffer.from(reading.topic)
  const record = Buffer.alloc(8 + 2 + topic.byteLength + 4 + reading.payload.byteLength)
  writeUint64(record, 0, reading.takenAt ?? Date.now())
  record.writeUInt16BE(topic.byteLength, 8)
  topic.copy(record, 10)
  record.writeUInt32BE(reading.payload.byteLength, 10 + topic.byteLength)
  record.set(reading.payload, 14 + topic.byteLength)
  return record
}

// `record`: other bytes than the reading's record, for the tests of bad input.
export function sealReading (keys: AgentKeys, reading: ReadingToSeal, record: Uint8Array = recordBytes(reading)): Buffer {
  const datagram = Buffer.alloc(SEALED_AT + record.byteLength + TAG_BYTES)
  datagram[0] = KIND_READING
  Buffer.from(keys.id, 'hex').copy(datagram, 1)
  writeUint64(datagram, 1 + ID_BYTES, reading.sequence)
  sodium.randombytes_buf(datagram.subarray(NONCE_AT, SEALED_AT))
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(datagram.subarray(SEALED_AT), record, datagram.subarray(0, HEADER_BYTES), null,
    datagram.subarray(NONCE_AT, SEALED_AT), Buffer.from(keys.key, 'hex'))
  return datagram
}

export interface Ack { highest: number, sequences: number[] }

// Null for anything but an acknowledgement sealed for this device.
export function openAck (keys: AgentKeys, datagram: Uint8Array): Ack | null {
  if (datagram.byteLength < SEALED_AT + TAG_BYTES + 2 || datagram[0] !== KIND_ACK) return null
  if (Buffer.from(datagram.subarray(1, 1 + ID_BYTES)).toString('hex') !== keys.id) return null
  const plain = Buffer.alloc(datagram.byteLength - SEALED_AT - TAG_BYTES)
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(plain, null, datagram.subarray(SEALED_AT), datagram.subarray(0, HEADER_BYTES),
      datagram.subarray(NONCE_AT, SEALED_AT), Buffer.from(keys.key, 'hex'))
  } catch {
    return null
  }
  const count = plain.readUInt16BE(0)
  // Count 0: the node's answer to a reading too old for its window.
  if (count > 64 || plain.byteLength !== 2 + 8 * count) return null
  return { highest: readUint64(datagram, 1 + ID_BYTES), sequences: Array.from({ length: count }, (_, i) => readUint64(plain, 2 + 8 * i)) }
}

export interface LanAgent {
  keys: AgentKeys
  // Every sequence number an acknowledgement named, and the acknowledgements in order.
  acked: Set<number>
  acks: Ack[]
  // Datagrams from the node that were not acknowledgements for this device.
  strays: number
  // Sends a datagram as it is, once.
  sendRaw (datagram: Uint8Array): Promise<void>
  // Seals and sends a reading, and sends it again (every `retryMs`) until acknowledged.
  send (reading: ReadingToSeal): Promise<void>
  // Sends again every reading not acknowledged; returns how many.
  resend (): Promise<number>
  // Readings sent and not acknowledged yet; and how many times one was sent again.
  inFlight (): number
  resentCount (): number
  // Settles when the next acknowledgement arrives, or after `ms`.
  nextAck (ms: number): Promise<void>
  waitForAcks (sequences: readonly number[], timeoutMs?: number): Promise<void>
  close (): Promise<void>
}

export interface LanAgentOptions {
  keys: AgentKeys
  // The node's lan-ingest port on 127.0.0.1.
  port: number
  // Sends an unacknowledged reading again this often; 0 never does.
  retryMs?: number
}

export async function openLanAgent (opts: LanAgentOptions): Promise<LanAgent> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()))
  const acked = new Set<number>()
  const acks: Ack[] = []
  // Unacknowledged readings with their datagram; sent again sealed with a new nonce, as
  // the agent does.
  const unacked = new Map<number, { reading: ReadingToSeal, sentAt: number }>()
  let closing: Promise<void> | null = null
  const ackWaiters = new Set<() => void>()
  let resent = 0
  const agent: LanAgent = {
    keys: opts.keys,
    acked,
    acks,
    strays: 0,
    sendRaw: (datagram) => new Promise<void>((resolve, reject) => socket.send(datagram, opts.port, '127.0.0.1', (err) => err ? reject(err) : resolve())),
    async send (reading) {
      unacked.set(reading.sequence, { reading, sentAt: Date.now() })
      await agent.sendRaw(sealReading(opts.keys, reading))
    },
    async resend () {
      const due = [...unacked.values()]
      for (const entry of due) {
        entry.sentAt = Date.now()
        resent++
        await agent.sendRaw(sealReading(opts.keys, entry.reading))
      }
      return due.length
    },
    inFlight: () => unacked.size,
    resentCount: () => resent,
    nextAck (ms) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms)
        function done (): void {
          clearTimeout(timer)
          ackWaiters.delete(done)
          resolve()
        }
        ackWaiters.add(done)
      })
    },
    async waitForAcks (sequences, timeoutMs = 10_000) {
      const missing = (): number => sequences.filter((s) => !acked.has(s)).length
      await until(`acknowledgements of ${sequences.length} readings`, () => missing() === 0 ? true : undefined, timeoutMs, 10)
    },
    close () {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(timer)
        socket.close(() => resolve())
      })
      return closing
    }
  }
  socket.on('message', (datagram) => {
    const ack = openAck(opts.keys, datagram)
    if (ack === null) {
      agent.strays++
      return
    }
    acks.push(ack)
    for (const s of ack.sequences) {
      acked.add(s)
      unacked.delete(s)
    }
    for (const wake of [...ackWaiters]) wake()
  })
  const retryMs = opts.retryMs ?? 0
  const timer = setInterval(() => {
    const now = Date.now()
    for (const entry of unacked.values()) {
      if (now - entry.sentAt < retryMs) continue
      entry.sentAt = now
      resent++
      socket.send(sealReading(opts.keys, entry.reading), opts.port, '127.0.0.1')
    }
  }, Math.max(retryMs, 50))
  if (retryMs === 0) clearInterval(timer)
  return agent
}

export interface StreamOptions {
  first: number
  // Readings sent and not yet acknowledged at most (the Lua agent keeps 32).
  window: number
  reading: (sequence: number) => ReadingToSeal
  // Asked before each new reading: false ends the stream (what is in flight is still
  // sent again until acknowledged, by the agent's retries).
  more: (sequence: number) => boolean
}

// Sends readings first, first + 1, … as acknowledgements make room in the window;
// settles with the next sequence number once `more` says no.
export async function streamReadings (agent: LanAgent, opts: StreamOptions): Promise<number> {
  let next = opts.first
  for (;;) {
    while (agent.inFlight() < opts.window) {
      if (!opts.more(next)) return next
      agent.send(opts.reading(next++)).catch(() => {})
    }
    await agent.nextAck(50)
  }
}
