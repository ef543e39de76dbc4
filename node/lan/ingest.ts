// The UDP loop of lan-ingest: each datagram is checked (wire.ts), placed in its device's
// window (window.ts) and its reading appended to the feeds the device's rules name, in
// the bridge's record format; the readings that arrive in one turn of the event loop
// are written to the journal (state.ts) together and join the same feed append, and
// each is acknowledged (acks.ts) only once its append is on disk. Anything else is
// dropped and counted by reason: a datagram from the LAN never ends the role or the
// node. Two kinds of drop are answered, both only for an authentic reading: one whose
// topic the device's rules do not route is acknowledged (the node does not want it, as
// the bridge never subscribes to such a topic, and an agent would otherwise send it
// forever), and one too old for the window gets an empty acknowledgement that tells the
// agent the highest number the node has (docs/decisions/lan-ingest-wire.md).
import dgram, { type RemoteInfo, type UdpSocket } from '#dgram'
import { decodeError } from '../bridge/decode.ts'
import { encodeReading } from '../bridge/record.ts'
import { routeTopic, type MappingRule } from '../bridge/rules.ts'
import type { LanIngestSettings } from '../config/types.ts'
import { NodeError } from '../errors.ts'
import type { Feeds } from '../feeds/feeds.ts'
import type { Logger } from '../log.ts'
import { DROP_REASONS, type DropReason, type LanIngestStatus } from '../protocol/lan-messages.ts'
import { createAckSender } from './acks.ts'
import type { Device, Devices } from './devices.ts'
import { readingHash, type LanState } from './state.ts'
import { isSequence, openReading, readHeader, readRecord, type Reading } from './wire.ts'

// Readings taken in and not yet stored: past this many, new ones are dropped
// ('overloaded') and their agents send them again. About 2.8 MiB of datagrams at most.
export const MAX_UNSTORED = 2048
// One line per drop reason at most this often.
const DROP_LOG_MS = 60_000
// An unrouted topic is logged once per device and topic, for this many pairs; past them
// (an agent sending ever new topics) as the other drops are, once a minute.
const UNROUTED_NAMED = 1024
// On close, how long readings being appended may take to be stored and acknowledged;
// main.ts ends the process 1.5 s after SIGTERM.
const DRAIN_MS = 1000
// Room in the kernel for bursts while a batch is appended (the kernel may cap it).
const RECV_BUFFER_BYTES = 1024 * 1024

export interface Ingest {
  ready (): Promise<void>
  close (): Promise<void>
  stats (): LanIngestStatus
}

export interface IngestOptions {
  settings: LanIngestSettings
  devices: Devices
  state: LanState
  feeds: Feeds
  log: Logger
}

interface Arrival {
  device: Device
  sequence: number
  hash: string
  reading: Reading
  receivedAt: number
  routes: MappingRule[]
}

export function createIngest ({ settings, devices, state, feeds, log }: IngestOptions): Ingest {
  const counters = { received: 0, stored: 0, duplicates: 0, decodeErrors: 0, notStored: 0, acksSent: 0 }
  const dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>
  const dropLogged = new Map<DropReason, { at: number, since: number }>()
  // device id, NUL, topic: the unrouted topics logged so far.
  const unroutedLogged = new Set<string>()
  // device id:sequence of the readings between arrival and their done mark.
  const unstored = new Set<string>()
  let arriving: Arrival[] = []
  let appended: Arrival[] = []
  const settling = new Set<Promise<void>>()
  let appendSoon: ReturnType<typeof setImmediate> | null = null
  let finishSoon: ReturnType<typeof setImmediate> | null = null
  let listening = false
  let closed = false
  let notStoredLogged = false
  let socket: UdpSocket | null = null
  const acks = createAckSender({
    highest: (deviceId) => state.window(deviceId).highest(),
    send (datagram, remote) {
      socket?.send(datagram, remote.port, remote.address, (err) => { if (err === null || err === undefined) counters.acksSent++ })
    }
  })

  function drop (reason: DropReason, remote: RemoteInfo, device?: string): void {
    dropped[reason]++
    const now = Date.now()
    const last = dropLogged.get(reason)
    if (last !== undefined && now - last.at < DROP_LOG_MS) {
      last.since++
      return
    }
    log('lan-datagram-dropped', { reason, from: `${remote.address}:${remote.port}`, ...(device === undefined ? {} : { device }), dropped: (last?.since ?? 0) + 1 })
    dropLogged.set(reason, { at: now, since: 0 })
  }

  function dropUnrouted (device: Device, topic: string, remote: RemoteInfo): void {
    const logged = `${device.id}\u0000${topic}`
    if (unroutedLogged.has(logged)) {
      dropped['unrouted-topic']++
      return
    }
    if (unroutedLogged.size >= UNROUTED_NAMED) return drop('unrouted-topic', remote, device.name)
    unroutedLogged.add(logged)
    dropped['unrouted-topic']++
    log('lan-datagram-dropped', { reason: 'unrouted-topic', from: `${remote.address}:${remote.port}`, device: device.name, topic, dropped: 1 })
  }

  // Every check above returns a drop reason; should one still throw, that datagram is
  // lost, said once, and the role goes on (a throw here would end the process).
  let failureLogged = false
  function receive (datagram: Uint8Array, remote: RemoteInfo): void {
    try {
      onMessage(datagram, remote)
    } catch (err) {
      if (failureLogged) return
      failureLogged = true
      log('lan-ingest-error', { code: (err as NodeError).code ?? 'DATAGRAM_FAILED', reason: (err as Error).message })
    }
  }

  function onMessage (datagram: Uint8Array, remote: RemoteInfo): void {
    counters.received++
    const header = readHeader(datagram)
    if (typeof header === 'string') return drop(header, remote)
    const device = devices.get(header.deviceId)
    if (device === undefined) return drop('unknown-device', remote, header.deviceId)
    const plain = openReading(datagram, device.key)
    if (plain === null) return drop('bad-tag', remote, device.name)
    const sequence = header.sequence
    if (!isSequence(sequence)) return drop('bad-sequence', remote, device.name)
    const reading = readRecord(plain)
    if (reading === null) return drop('bad-record', remote, device.name)
    const routes = routeTopic(device.rules, reading.topic)
    if (routes.length === 0) {
      dropUnrouted(device, reading.topic, remote)
      acks.heardFrom(device, remote)
      return acks.queue(device, sequence)
    }
    const placement = state.window(device.id).place(sequence)
    if (placement === 'far-future') return drop(placement, remote, device.name)
    if (placement === 'too-old') {
      drop(placement, remote, device.name)
      // Answered where it came from, without making that the device's address: it may
      // be an old datagram replayed by someone else.
      acks.tooOld(device, remote)
      return
    }
    acks.heardFrom(device, remote)
    if (placement === 'stored') {
      counters.duplicates++
      return acks.queue(device, sequence)
    }
    const key = `${device.id}:${sequence}`
    // Sent again while its append is under way: the acknowledgement follows the append.
    if (unstored.has(key)) {
      counters.duplicates++
      return
    }
    if (unstored.size >= MAX_UNSTORED) return drop('overloaded', remote, device.name)
    const hash = readingHash(reading.topic, reading.payload)
    // After a crash between append and acknowledgement, some feeds may hold it already.
    const held = state.heldBy(device.id, sequence, hash)
    unstored.add(key)
    arriving.push({ device, sequence, hash, reading, receivedAt: Date.now(), routes: held === null ? routes : routes.filter((r) => !held.includes(r.feed)) })
    appendSoon ??= setImmediate(startAppends)
  }

  function startAppends (): void {
    appendSoon = null
    const batch = arriving
    arriving = []
    try {
      state.intend(batch.map((a) => ({ deviceId: a.device.id, sequence: a.sequence, hash: a.hash })))
    } catch (err) {
      // Without its intent on disk a reading must not be appended: a crash after the
      // append would store its retransmission twice.
      for (const a of batch) notStored(a, err)
      return
    }
    for (const arrival of batch) {
      const { reading, receivedAt, sequence } = arrival
      const appends = arrival.routes.map((rule) => {
        const error = decodeError(rule.decoder, reading.payload)
        if (error !== null) counters.decodeErrors++
        const block = encodeReading({
          topic: reading.topic, payload: reading.payload, receivedAt, qos: 1, retain: false,
          decoder: rule.decoder, decodeError: error, packetId: sequence
        })
        // Someone waits: written at the end of this turn with whatever else came in.
        return feeds.append(rule.feed, block, { soon: true })
      })
      const settle = Promise.all(appends).then(() => {
        appended.push(arrival)
        finishSoon ??= setImmediate(finishAppends)
      }, (err: unknown) => notStored(arrival, err))
      settling.add(settle)
      void settle.finally(() => settling.delete(settle))
    }
  }

  function notStored (arrival: Arrival, err: unknown): void {
    unstored.delete(`${arrival.device.id}:${arrival.sequence}`)
    counters.notStored++
    // Every reading of a failing disk fails alike: say it once until one is stored.
    if (notStoredLogged) return
    notStoredLogged = true
    log('reading-not-stored', { topic: arrival.reading.topic, reason: (err as Error)?.message ?? String(err) })
  }

  function finishAppends (): void {
    finishSoon = null
    // Past close the journal is shut: a restart finds these in the feeds (state.ts).
    if (closed) return
    const done = appended
    appended = []
    try {
      state.stored(done.map((a) => ({ deviceId: a.device.id, sequence: a.sequence })))
    } catch (err) {
      // The readings are on disk; without their done marks a restart finds them in the
      // feeds (state.ts). They may be acknowledged.
      const e = err as NodeError
      log('lan-ingest-error', { code: e.code ?? 'JOURNAL_WRITE_FAILED', reason: e.message })
    }
    notStoredLogged = false
    for (const a of done) {
      unstored.delete(`${a.device.id}:${a.sequence}`)
      // Every feed held it already (found after a crash): a duplicate, acknowledged now.
      if (a.routes.length === 0) counters.duplicates++
      else counters.stored++
      acks.queue(a.device, a.sequence)
    }
  }

  return {
    ready () {
      const address = `${settings.host}:${settings.port}`
      return new Promise<void>((resolve, reject) => {
        const s = dgram.createSocket({ type: 'udp4', recvBufferSize: RECV_BUFFER_BYTES })
        socket = s
        const failed = (err: Error): void => {
          socket = null
          s.close()
          reject(NodeError.LAN_LISTEN_FAILED(address, err))
        }
        s.on('error', failed)
        s.on('message', receive)
        s.bind(settings.port, settings.host, () => {
          s.removeListener('error', failed)
          // A send or receive error affects that datagram only.
          s.on('error', (err: Error & { code?: string }) => log('lan-ingest-error', { code: err.code ?? 'UDP_ERROR', reason: err.message }))
          listening = true
          log('lan-ingest-listening', { address, devices: devices.names(), recovered: state.recovered })
          resolve()
        })
      })
    },
    async close () {
      const s = socket
      if (s === null) return
      s.removeListener('message', receive as (...args: never[]) => void)
      listening = false
      // Taken in but not yet in the journal: never appended, so sent again by the agents.
      if (appendSoon) clearImmediate(appendSoon)
      arriving = []
      // Store and acknowledge what was taken in; what is not stored in time the agents send again.
      let waited: ReturnType<typeof setTimeout> | null = null
      await Promise.race([Promise.allSettled([...settling]), new Promise<void>((resolve) => { waited = setTimeout(resolve, DRAIN_MS) })])
      if (waited) clearTimeout(waited)
      if (finishSoon) { clearImmediate(finishSoon); finishAppends() }
      acks.flush()
      closed = true
      socket = null
      await new Promise<void>((resolve) => s.close(() => resolve()))
    },
    stats: () => ({ listening, devices: devices.names().length, ...counters, dropped: { ...dropped } })
  }
}
