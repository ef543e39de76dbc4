// Drives one sensor-bridge stream: a publisher that hands N numbered readings to the
// broker as fast as flow control allows, the subscriber's arrivals watched until all
// have come (or stop coming once publishing is over), and the CPU time the subscriber
// and the broker used meanwhile.
import { connect, type MqttClient } from 'mqtt'
import { HarnessError } from '../../harness/errors.ts'
import type { Broker } from '../../harness/mosquitto.ts'
import { sleep, withDeadline } from '../../harness/wait.ts'
import { cpuMs, round } from '../measure.ts'
import { NO_PROGRESS_MS, PUBLISH_WINDOW, QOS0_CHUNK, STALL_MS, TOPIC } from './scenario.ts'

// How far a subscriber has got: read() goes up to target as readings arrive.
export interface Arrivals {
  read (): Promise<number>
  target: number
  pollMs: number
  // What the processes involved last logged, for an error.
  lastLogs (): string
}

export interface StreamResult {
  // The arrivals reached, and seconds from the first publish until they were.
  reached: number
  elapsedS: number
  publisherMsgPerS: number
  cpuPercent: number
  brokerCpuPercent: number
  // Broker log lines about dropped messages.
  brokerNotes: string[]
}

// Publishes N numbered readings as fast as flow control allows and waits until the
// subscriber's arrivals reach their target (or stop growing after publishing).
export async function stream (broker: Broker, qos: 0 | 1, messages: number, subscriberPid: number, arrivals: Arrivals): Promise<StreamResult> {
  const publisher = await connectPublisher(broker)
  try {
    const cpuBefore = { subscriber: cpuMs(subscriberPid), broker: cpuMs(broker.pid) }
    const started = performance.now()
    let publishedAt: number | null = null
    const publishing = publishNumbered(publisher, qos, messages).then(() => { publishedAt = performance.now() })
    // Handled below; a failure while arrivals are still being watched must not go unhandled.
    publishing.catch(() => {})
    const done = await watchArrivals(arrivals, started, () => publishedAt)
    await withDeadline(`${qos === 1 ? 'acknowledgement' : 'hand-over'} of all ${messages} publishes`, publishing, NO_PROGRESS_MS, arrivals.lastLogs)
    const wallMs = performance.now() - started
    return {
      reached: done.value,
      elapsedS: (done.at - started) / 1000,
      publisherMsgPerS: messages / ((publishedAt! - started) / 1000),
      cpuPercent: round((cpuMs(subscriberPid) - cpuBefore.subscriber) / wallMs * 100),
      brokerCpuPercent: round((cpuMs(broker.pid) - cpuBefore.broker) / wallMs * 100),
      // Not the node's subscription to the broker's $SYS count of dropped messages.
      brokerNotes: broker.log.filter((line) => /dropp/i.test(line) && !line.includes('$SYS/')).map((line) => `mosquitto: ${line.replace(/^\d+: /, '')}`)
    }
  } finally {
    publisher.end(true)
  }
}

// Polls until arrivals reach the target, or until they stop growing once publishing
// is over. Each poll is timed at the middle of its round trip; a change happened
// between the poll before and the poll that saw it, and is placed at their midpoint:
// off by at most half a poll interval.
export async function watchArrivals (arrivals: Arrivals, started: number, publishedAt: () => number | null): Promise<{ value: number, at: number }> {
  let value = 0
  let previousAt = started
  let changedAt = started
  for (;;) {
    const sent = performance.now()
    const now = await arrivals.read()
    const at = (sent + performance.now()) / 2
    if (now !== value) {
      value = now
      changedAt = (previousAt + at) / 2
    }
    if (value >= arrivals.target) return { value, at: changedAt }
    const published = publishedAt()
    const quietMs = at - Math.max(changedAt, published ?? started)
    if (published !== null && value > 0 && quietMs > STALL_MS) return { value, at: changedAt }
    if (quietMs > NO_PROGRESS_MS) throw HarnessError.WAIT_TIMEOUT(`progress (at ${value} of ${arrivals.target})`, NO_PROGRESS_MS, arrivals.lastLogs())
    previousAt = at
    await sleep(arrivals.pollMs)
  }
}

// mqtt.js gives up on a connection that is not accepted in this long.
const CONNECT_TIMEOUT_MS = 30_000

export async function connectPublisher (broker: Broker): Promise<MqttClient> {
  const client = connect(broker.url, { clientId: `roost-bench-publisher-${process.pid}`, reconnectPeriod: 0, connectTimeout: CONNECT_TIMEOUT_MS })
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve())
      client.once('error', reject)
      client.once('close', () => reject(HarnessError.DID_NOT_START(`the publisher's connection to ${broker.url}`, `closed; mosquitto log: ${broker.log.slice(-5).join(' | ')}`)))
    })
  } catch (err) {
    client.end(true)
    throw err
  }
  return client
}

// One QoS 1 reading, resolved once the broker has acknowledged it.
export function publishAcknowledged (client: MqttClient, payload: string): Promise<void> {
  return new Promise<void>((resolve, reject) => client.publish(TOPIC, payload, { qos: 1 }, (err) => err ? reject(err) : resolve()))
}

async function publishNumbered (client: MqttClient, qos: 0 | 1, messages: number): Promise<void> {
  if (qos === 0) {
    for (let i = 0; i < messages; i++) {
      if ((i + 1) % QOS0_CHUNK !== 0 && i !== messages - 1) {
        client.publish(TOPIC, String(i), { qos: 0 })
        continue
      }
      // mqtt.js calls back once the socket has taken the packet, after 'drain' when
      // its buffer was full: that is the flow control.
      await new Promise<void>((resolve, reject) => client.publish(TOPIC, String(i), { qos: 0 }, (err) => err ? reject(err) : resolve()))
      await new Promise((resolve) => setImmediate(resolve))
    }
    return
  }
  await new Promise<void>((resolve, reject) => {
    let sent = 0
    let acked = 0
    const send = (): void => {
      client.publish(TOPIC, String(sent++), { qos: 1 }, (err) => {
        if (err) return reject(err)
        if (++acked === messages) resolve()
        else if (sent < messages) send()
      })
    }
    for (let i = 0; i < Math.min(PUBLISH_WINDOW, messages); i++) send()
  })
}
