// A stand-in for the node's lan-ingest role, for tests and measurements of the Lua agent:
// a UDP socket on 127.0.0.1 that opens reading datagrams with sodium (as the node will),
// checks their header, and answers with acknowledgements sealed with the device key
// (docs/decisions/lan-ingest-wire.md). On command it stops acknowledging, delays its
// acknowledgements, goes away (its port closed) and comes back on the same port, or sends
// an acknowledgement sealed with another key.
import dgram from 'node:dgram'
import sodium from 'sodium-universal'
import { HarnessError } from './errors.ts'
import { until } from './wait.ts'

export interface ReceivedReading {
  seq: number
  timeMs: number
  topic: string
  payload: string
  // Date.now() when it arrived.
  arrivedAt: number
}

export interface LanReceiverOptions {
  key: Buffer
  deviceId: Buffer
  // Bound, then closed at once: the agent sends into a closed port until start().
  startStopped?: boolean
}

export interface LanReceiver {
  port: number
  // Every datagram that opened, in arrival order, retransmissions included.
  readings: ReceivedReading[]
  // Datagrams that did not open or whose header was wrong.
  invalid: number
  acksSent: number
  // 'ignore' answers nothing; delayMs holds each acknowledgement back that long.
  setAcks (mode: 'ack' | 'ignore', delayMs?: number): void
  // Sends an acknowledgement of `seqs` now, sealed with `key` (default: the device key).
  sendAck (seqs: number[], key?: Buffer): Promise<void>
  // Sends any bytes to the agent.
  sendRaw (datagram: Buffer): Promise<void>
  // Closes the socket (the agent's datagrams meet a closed port) / binds the port again.
  stop (): Promise<void>
  start (): Promise<void>
  // The readings of each sequence number, the first copy of each.
  unique (): Map<number, ReceivedReading>
  waitFor<T> (what: string, check: () => T | undefined, timeoutMs?: number): Promise<T>
  close (): Promise<void>
}

const HEADER_BYTES = 17
const NONCE_BYTES = 24

function open (key: Buffer, deviceId: Buffer, datagram: Buffer): ReceivedReading | undefined {
  if (datagram.length < HEADER_BYTES + NONCE_BYTES + 16 + 14 || datagram[0] !== 0x01) return undefined
  if (!datagram.subarray(1, 9).equals(deviceId)) return undefined
  const record = Buffer.alloc(datagram.length - HEADER_BYTES - NONCE_BYTES - 16)
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(record, null, datagram.subarray(HEADER_BYTES + NONCE_BYTES),
      datagram.subarray(0, HEADER_BYTES), datagram.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES), key)
  } catch {
    return undefined
  }
  const topicLength = record.readUInt16BE(8)
  if (14 + topicLength > record.length) return undefined
  const payloadLength = record.readUInt32BE(10 + topicLength)
  if (14 + topicLength + payloadLength !== record.length) return undefined
  return {
    seq: Number(datagram.readBigUInt64BE(9)),
    timeMs: Number(record.readBigUInt64BE(0)),
    topic: record.subarray(10, 10 + topicLength).toString('utf8'),
    payload: record.subarray(14 + topicLength).toString('utf8'),
    arrivedAt: Date.now()
  }
}

export function sealAck (key: Buffer, deviceId: Buffer, highestSeq: number, seqs: number[]): Buffer {
  const header = Buffer.alloc(HEADER_BYTES)
  header[0] = 0x02
  deviceId.copy(header, 1)
  header.writeBigUInt64BE(BigInt(highestSeq), 9)
  const list = Buffer.alloc(2 + 8 * seqs.length)
  list.writeUInt16BE(seqs.length, 0)
  seqs.forEach((seq, i) => list.writeBigUInt64BE(BigInt(seq), 2 + 8 * i))
  const nonce = Buffer.alloc(NONCE_BYTES)
  sodium.randombytes_buf(nonce)
  const sealed = Buffer.alloc(list.length + 16)
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, list, header, null, nonce, key)
  return Buffer.concat([header, nonce, sealed])
}

function bind (port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4')
    socket.once('error', reject)
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject)
      resolve(socket)
    })
  })
}

export async function startLanReceiver (opts: LanReceiverOptions): Promise<LanReceiver> {
  let socket: dgram.Socket | undefined = await bind(0)
  const port = socket.address().port
  const readings: ReceivedReading[] = []
  let agent: { address: string, port: number } | undefined
  let mode: 'ack' | 'ignore' = 'ack'
  let delayMs = 0
  let highest = 0
  const timers = new Set<NodeJS.Timeout>()

  const send = (datagram: Buffer): Promise<void> => new Promise((resolve) => {
    if (socket === undefined || agent === undefined) return resolve()
    socket.send(datagram, agent.port, agent.address, () => resolve())
  })

  const receiver: LanReceiver = {
    port,
    readings,
    invalid: 0,
    acksSent: 0,
    setAcks (newMode, newDelayMs = 0) {
      mode = newMode
      delayMs = newDelayMs
    },
    async sendAck (seqs, key = opts.key) {
      if (agent === undefined) throw HarnessError.CHECK_FAILED('the receiver has had no datagram yet: it does not know where the agent is')
      await send(sealAck(key, opts.deviceId, highest, seqs))
    },
    async sendRaw (datagram) {
      if (agent === undefined) throw HarnessError.CHECK_FAILED('the receiver has had no datagram yet: it does not know where the agent is')
      await send(datagram)
    },
    async stop () {
      const closing = socket
      socket = undefined
      if (closing !== undefined) await new Promise<void>((resolve) => closing.close(() => resolve()))
    },
    async start () {
      if (socket !== undefined) return
      socket = await bind(port)
      socket.on('message', onMessage)
    },
    unique () {
      const first = new Map<number, ReceivedReading>()
      for (const reading of readings) if (!first.has(reading.seq)) first.set(reading.seq, reading)
      return first
    },
    waitFor: (what, check, timeoutMs = 20_000) => until(what, check, timeoutMs, 50),
    async close () {
      for (const timer of timers) clearTimeout(timer)
      await receiver.stop()
    }
  }

  function onMessage (datagram: Buffer, from: dgram.RemoteInfo): void {
    agent = { address: from.address, port: from.port }
    const reading = open(opts.key, opts.deviceId, datagram)
    if (reading === undefined) {
      receiver.invalid++
      return
    }
    readings.push(reading)
    highest = Math.max(highest, reading.seq)
    if (mode === 'ignore') return
    const ack = (): void => {
      receiver.acksSent++
      void send(sealAck(opts.key, opts.deviceId, highest, [reading.seq]))
    }
    if (delayMs === 0) return ack()
    const timer = setTimeout(() => {
      timers.delete(timer)
      ack()
    }, delayMs)
    timers.add(timer)
  }

  socket.on('message', onMessage)
  if (opts.startStopped === true) await receiver.stop()
  return receiver
}
