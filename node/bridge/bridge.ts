// The sensor bridge: readings from the local MQTT broker into encrypted feeds.
// A QoS 1 message is acknowledged to the broker only after its record is stored, so
// a crash makes the broker deliver it again; a redelivery (DUP) that was already
// stored before the crash is recognised and not stored twice. Messages are taken in
// and acknowledged by intake.ts: many at a time, so they are stored in batches.
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import type { MqttClient } from 'mqtt'
import type { BridgeSettings } from '../config/types.ts'
import type { BridgeStatus } from '../protocol/messages.ts'
import type { Feeds } from '../feeds/feeds.ts'
import type { Logger } from '../log.ts'
import { DROPPED_TOPIC, type BrokerDrops } from './broker-drops.ts'
import { decodeError } from './decode.ts'
import { attachIntake, MAX_UNSETTLED_READINGS, type Intake } from './intake.ts'
import { brokerError, brokerForLog, connectBroker } from './mqtt-client.ts'
import { encodeReading, type ReadingRecord } from './record.ts'
import { routeTopic, type MappingRule } from './rules.ts'
import { topicMatches } from './topic-filter.ts'
import { NodeError } from '../errors.ts'

export interface BridgeConfig extends BridgeSettings {
  clientId: string
}

// What status reports is what the bridge counts: one shape, defined with the wire format.
export type BridgeStats = BridgeStatus

export interface Bridge {
  ready (): Promise<void>
  close (): Promise<void>
  stats (): BridgeStats
  publish (topic: string, payload: Uint8Array, qos: 0 | 1): Promise<void>
}

export interface BridgeState {
  // Last stored payload hash per retained topic: a retained message the broker sends
  // again on every (re)subscribe is recorded once, not on every reconnect.
  retained: Map<string, string>
  // packetId|topic|payload-hash of the most recent records: what a DUP redelivery
  // after a crash is compared with.
  recent: Set<string>
  // What the broker says it dropped (broker-drops.ts); absent, the bridge does not ask.
  brokerDrops?: BrokerDrops
  save (): Promise<void>
}

const MIN_RECONNECT_MS = 1000
const MAX_RECONNECT_MS = 30_000
// On close, how long the bridge waits for readings in flight to be stored and acknowledged.
const DRAIN_MS = 2000
// Topics whose feeds the bridge remembers; past this many it starts again.
const ROUTE_CACHE_TOPICS = 1024
// Feeds.append's options, made once rather than for every reading.
const SOON = { soon: true } as const
const ON_TIMER = { soon: false } as const
const NO_BYTES = new Uint8Array(0)

interface Packet { topic: string, payload: Uint8Array, qos: 0 | 1 | 2, retain: boolean, dup: boolean, messageId?: number }

export function payloadHash (payload: Uint8Array): string {
  return b4a.toString(crypto.hash(payload), 'hex').slice(0, 32)
}

function recentKey (packetId: number, topic: string, hash: string): string {
  return `${packetId}|${topic}|${hash}`
}

export function dedupeKey (packetId: number, topic: string, payload: Uint8Array): string {
  return recentKey(packetId, topic, payloadHash(payload))
}

export function createBridge (config: BridgeConfig, feeds: Feeds, state: BridgeState, log: Logger): Bridge {
  const counters: Omit<BridgeStats, 'connected'> = { received: 0, stored: 0, decodeErrors: 0, oversized: 0, duplicates: 0, retainedUnchanged: 0, reconnects: 0 }
  let client: MqttClient | null = null
  let intake: Intake | null = null
  // QoS ≥ 1 readings being appended, by recentKey.
  const storing = new Map<string, Promise<unknown>>()
  let connected = false
  let reconnectMs = MIN_RECONNECT_MS
  // While the broker stays away every retry fails the same way: say it once.
  let errorLogged = false
  // The URL as logs may show it: without a password written into it.
  const broker = brokerForLog(config.broker)
  let retryTimer: ReturnType<typeof setTimeout> | null = null
  let closed = false
  const record: ReadingRecord = { topic: '', payload: NO_BYTES, receivedAt: 0, qos: 0, retain: false, decoder: 'raw', decodeError: null, packetId: 0 }

  // The rules give a topic the same feeds every time: worked out once per topic, for
  // as many topics as a household has sensors.
  const routeCache = new Map<string, MappingRule[]>()
  function routesOf (topic: string): MappingRule[] {
    let routes = routeCache.get(topic)
    if (routes === undefined) {
      if (routeCache.size >= ROUTE_CACHE_TOPICS) routeCache.clear()
      routes = routeTopic(config.rules, topic)
      routeCache.set(topic, routes)
    }
    return routes
  }

  function logBrokerError (err: Error): void {
    if (errorLogged) return
    errorLogged = true
    const e = brokerError(err, config.protocolVersion)
    log('broker-error', { broker, code: e.code, reason: e.message, hint: e.hint })
  }

  async function store (packet: Packet): Promise<void> {
    if (packet.topic === DROPPED_TOPIC) {
      const dropped = state.brokerDrops?.update(packet.payload) ?? 0
      if (dropped > 0) {
        const e = NodeError.BROKER_DROPPED(dropped)
        log('broker-dropped', { broker, code: e.code, dropped, reason: e.message, hint: e.hint ?? '' })
      }
      return
    }
    counters.received++
    const payload = packet.payload
    if (payload.byteLength > config.maxPayloadBytes) {
      counters.oversized++
      log('reading-refused', { topic: packet.topic, reason: `payload of ${payload.byteLength} bytes is over the ${config.maxPayloadBytes}-byte limit` })
      return
    }
    const routes = routesOf(packet.topic)
    if (routes.length === 0) return

    // Only a message the broker may send again (QoS ≥ 1, retained) is recognised by
    // its payload's hash: a QoS 0 reading is stored without one.
    const hash = packet.qos > 0 || packet.retain ? payloadHash(payload) : null
    const key = packet.qos > 0 && hash !== null ? recentKey(packet.messageId ?? 0, packet.topic, hash) : null
    if (key !== null && packet.dup) {
      // A copy sent again after a reconnect may find its original still being stored.
      const original = storing.get(key)
      if (state.recent.has(key) || (original !== undefined && await original.then(() => true, () => false))) {
        counters.duplicates++
        return
      }
    }
    if (packet.retain && state.retained.get(packet.topic) === hash) {
      counters.retainedUnchanged++
      return
    }

    const receivedAt = Date.now()
    // The broker waits for a QoS 1 reading's PUBACK: write it with the others that came
    // in the same read. QoS 0 readings wait for the batcher's timer, unless nothing more
    // comes in until some are stored.
    const when = packet.qos > 0 || intake?.full() === true ? SOON : ON_TIMER
    const appendTo = (rule: MappingRule): Promise<void> => {
      const error = decodeError(rule.decoder, payload)
      if (error !== null) counters.decodeErrors++
      // Filled and encoded at once: one record object for every reading.
      record.topic = packet.topic
      record.payload = payload
      record.receivedAt = receivedAt
      record.qos = packet.qos
      record.retain = packet.retain
      record.decoder = rule.decoder
      record.decodeError = error
      record.packetId = packet.messageId ?? 0
      const encoded = encodeReading(record)
      // Not kept alive by the record: it may be a view of a whole socket read.
      record.payload = NO_BYTES
      return feeds.append(rule.feed, encoded, when)
    }
    const appended = routes.length === 1 ? appendTo(routes[0]) : Promise.all(routes.map(appendTo))
    if (key !== null) storing.set(key, appended)
    try {
      await appended
    } finally {
      if (key !== null) storing.delete(key)
    }
    counters.stored++
    if (key !== null) remember(key)
    if (hash !== null && packet.retain) {
      state.retained.set(packet.topic, hash)
      await state.save()
    }
  }

  function remember (key: string): void {
    state.recent.add(key)
    // Only messages in flight at a crash can come back: at most MAX_UNSETTLED_READINGS.
    // The oldest are forgotten many at a time: a Set keeps a deleted entry's slot until
    // it grows again, so finding its oldest entry after each single delete steps over
    // every slot deleted before (measured: 8 % of the node's time at QoS 1).
    if (state.recent.size <= 4 * MAX_UNSETTLED_READINGS) return
    let forget = MAX_UNSETTLED_READINGS
    for (const old of state.recent) {
      if (forget-- === 0) break
      state.recent.delete(old)
    }
  }

  function start (): Promise<void> {
    if (closed) return Promise.resolve()
    try {
      client = connectBroker(config.broker, {
        caFile: config.caFile ?? undefined,
        clientId: config.clientId,
        username: config.username ?? undefined,
        password: config.password ?? undefined,
        passwordFile: config.passwordFile ?? undefined,
        protocolVersion: config.protocolVersion,
        clean: false
      })
    } catch (err) {
      // A CA or password file that cannot be used: say so, keep serving, and look at
      // the file again with the same backoff as a broker that is away.
      logBrokerError(err as Error)
      retryTimer = setTimeout(() => { retryTimer = null; void start() }, reconnectMs)
      reconnectMs = Math.min(reconnectMs * 2, MAX_RECONNECT_MS)
      return Promise.resolve()
    }
    // The intake acknowledges a QoS 1 message only once store() has settled: the
    // reading is on disk (or needs no storing).
    intake = attachIntake<Packet>(client, (p) => store(p).catch((err: Error) => {
      log('reading-not-stored', { topic: p.topic, reason: err.message })
      throw err
    }))
    client.on('connect', (connack: { sessionPresent?: boolean }) => {
      connected = true
      errorLogged = false
      reconnectMs = MIN_RECONNECT_MS
      client!.options.reconnectPeriod = reconnectMs
      log('broker-connected', { broker, sessionPresent: connack.sessionPresent === true })
      // QoS 1 is the most the bridge asks for: QoS 2 publishes arrive at least once and
      // the DUP check above makes them exactly once in the feed.
      const filters: Record<string, { qos: 0 | 1 }> = Object.fromEntries(config.rules.map((r) => [r.filter, { qos: 1 as const }]))
      if (state.brokerDrops) filters[DROPPED_TOPIC] = { qos: 0 }
      client!.subscribe(filters, (err) => {
        if (err) log('broker-error', { broker, reason: `subscribe failed: ${err.message}` })
      })
    })
    client.on('close', () => {
      if (connected) log('broker-disconnected', { broker, retryInMs: reconnectMs })
      connected = false
      counters.reconnects++
      // Back off while the broker stays away; mqtt.js reads this before each retry.
      client!.options.reconnectPeriod = reconnectMs
      reconnectMs = Math.min(reconnectMs * 2, MAX_RECONNECT_MS)
    })
    client.on('error', logBrokerError)
    return Promise.resolve()
  }

  return {
    ready: start,
    async close () {
      closed = true
      if (retryTimer) clearTimeout(retryTimer)
      if (!client) return
      const c = client
      // Store and acknowledge what was taken in, so a clean restart leaves the broker
      // nothing to send again; what is not stored in time the broker sends again.
      let waited: ReturnType<typeof setTimeout> | null = null
      await Promise.race([intake?.drain(), new Promise<void>((resolve) => { waited = setTimeout(resolve, DRAIN_MS) })])
      if (waited) clearTimeout(waited)
      await new Promise<void>((resolve) => c.end(false, {}, () => resolve()))
    },
    stats: () => ({ connected, ...counters }),
    publish (topic, payload, qos) {
      if (!config.commandTopics.some((filter) => topicMatches(filter, topic))) {
        return Promise.reject(NodeError.COMMAND_NOT_ALLOWED(topic))
      }
      if (!client || !connected) return Promise.reject(NodeError.BROKER_DISCONNECTED())
      const c = client
      return new Promise<void>((resolve, reject) => {
        c.publish(topic, b4a.toBuffer(payload) as Buffer, { qos }, (err) => err ? reject(err) : resolve())
      })
    }
  }
}
