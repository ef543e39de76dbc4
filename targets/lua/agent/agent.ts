// The agent's one loop: socket.select over the UDP socket to the node and the TCP one to
// the broker, woken by whichever comes first of a datagram, broker data, the next sensor
// interval, a retransmission falling due, the broker's keep-alive, and the stats line.
import * as socket from 'socket'
import { type AgentConfig } from './config.ts'
import { receiveAcks } from './link.ts'
import { logEvent } from './log.ts'
import { mqttAck, mqttDrop, mqttReceive, mqttTick, mqttWakeAt, type Mqtt } from './mqtt-client.ts'
import { enqueue, type Queue } from './queue.ts'
import { type Device, type Reading, sealReadings } from './readings.ts'
import { type Renumbered, takeAcks } from './renumber.ts'
import { readSensors } from './sensors.ts'
import { dueToSend, markSent, noteAck } from './send-window.ts'

export interface Counters {
  queued: number
  sent: number
  acked: number
  retransmitted: number
  droppedFull: number
  badAcks: number
  refused: number
  sensorFailures: number
  fromBroker: number
  renumbered: number
}

export interface Agent {
  config: AgentConfig
  device: Device
  queue: Queue
  udp: socket.UdpSocket
  mqtt: Mqtt | undefined
  counters: Counters
  // Sensors whose last reading failed, by topic: a failure is logged when it starts and
  // when it ends, not every interval (a missing file would fill logd's ring).
  failing: { [topic: string]: boolean | undefined }
}

export function newCounters (): Counters {
  return { queued: 0, sent: 0, acked: 0, retransmitted: 0, droppedFull: 0, badAcks: 0, refused: 0, sensorFailures: 0, fromBroker: 0, renumbered: 0 }
}

// Seals and appends; false when the queue could not be written (nothing was queued then).
function queueReadings (a: Agent, readings: Reading[]): boolean {
  const sealed = sealReadings(a.queue, a.device, readings)
  for (let i = 0; i < sealed.refused.length; i++) {
    a.counters.refused++
    logEvent('refused', 'topic', sealed.refused[i].topic, 'reason', sealed.refused[i].refusal)
  }
  if (sealed.entries.length === 0) return true
  const result = enqueue(a.queue, sealed.entries)
  a.counters.queued += result.queued
  a.counters.droppedFull += result.dropped
  if (result.dropped > 0) logEvent('dropped-full', 'count', result.dropped, 'total', a.counters.droppedFull)
  if (result.queued > 0) logEvent('queued', 'count', result.queued, 'first', sealed.entries[0].seq, 'last', sealed.entries[result.queued - 1].seq)
  if (!result.ok) logEvent('queue-error', 'reason', `could not write to ${a.config.queueDir}`, 'lost', sealed.entries.length - result.queued)
  return result.ok
}

function takeSensorReadings (a: Agent): void {
  const taken = readSensors(a.config.files, a.config.commands)
  for (let i = 0; i < taken.failures.length; i++) {
    const { topic, reason } = taken.failures[i]
    a.counters.sensorFailures++
    if (a.failing[topic] !== true) logEvent('sensor-failed', 'topic', topic, 'reason', reason)
    a.failing[topic] = true
  }
  for (let i = 0; i < taken.readings.length; i++) {
    const topic = taken.readings[i].topic
    if (a.failing[topic] === true) logEvent('sensor-ok', 'topic', topic)
    a.failing[topic] = undefined
  }
  if (taken.readings.length > 0) queueReadings(a, taken.readings)
}

// Sends what is due; returns when the next retransmission falls due.
function pump (a: Agent, now: number): number {
  const due = dueToSend(a.queue, now)
  let wakeAt = due.wakeAt ?? Infinity
  let resent = 0
  for (let i = 0; i < due.records.length; i++) {
    const record = due.records[i]
    // A failed send (the node's port unreachable) is retried like a lost datagram.
    a.udp.send(record.datagram)
    if (record.attempts > 0) resent++
    else a.counters.sent++
    markSent(a.queue, record, now)
    wakeAt = Math.min(wakeAt, record.nextAt)
  }
  if (resent > 0) {
    a.counters.retransmitted += resent
    logEvent('retransmit', 'count', resent, 'oldest', due.records[0].seq, 'in_flight', a.queue.inFlight)
  }
  return wakeAt
}

function receiveFromNode (a: Agent, now: number): void {
  const received = receiveAcks(a.udp, a.device.key, a.device.deviceId)
  for (let i = 0; i < received.bad.length; i++) {
    a.counters.badAcks++
    logEvent('bad-ack', 'reason', received.bad[i], 'total', a.counters.badAcks)
  }
  if (received.acks.length === 0) return
  const taken = takeAcks(a.queue, a.device, received.acks)
  noteAck(a.queue, now)
  for (let i = 0; i < taken.renumbered.length; i++) logRenumbered(a, taken.renumbered[i])
  if (taken.applied === 0) return
  a.counters.acked += taken.acked
  logEvent('acked', 'count', taken.acked, 'node_highest', taken.nodeHighest, 'in_queue', a.queue.liveCount)
}

// The node had numbers from this device at or above this agent's: its queue was lost and
// the numbering began again (renumber.ts). What is queued goes out under new numbers.
function logRenumbered (a: Agent, r: Renumbered): void {
  if (!r.ok) {
    logEvent('renumber-failed', 'reason', r.reason, 'node_highest', r.nodeHighest, 'next_seq', r.oldNextSeq)
    return
  }
  a.counters.renumbered++
  a.counters.droppedFull += r.dropped
  logEvent('renumbered', 'node_highest', r.nodeHighest, 'old_next_seq', r.oldNextSeq, 'first_seq', r.firstSeq, 'next_seq', r.nextSeq,
    'readings', r.readings, 'unreadable', r.unreadable, 'dropped', r.dropped)
}

function receiveFromBroker (a: Agent, m: Mqtt, now: number): void {
  const deliveries = mqttReceive(m, now)
  if (deliveries.length === 0) return
  const readings: Reading[] = []
  const packetIds: number[] = []
  for (let i = 0; i < deliveries.length; i++) {
    readings.push(deliveries[i].reading)
    if (deliveries[i].packetId > 0) packetIds.push(deliveries[i].packetId)
  }
  a.counters.fromBroker += readings.length
  // Unacknowledged, the broker keeps them and sends them again after a reconnect.
  if (!queueReadings(a, readings)) return mqttDrop(m, now, 'the queue could not be written')
  mqttAck(m, packetIds, now)
}

export function logStats (a: Agent): void {
  const c = a.counters
  logEvent('stats', 'queued', c.queued, 'sent', c.sent, 'acked', c.acked, 'retransmitted', c.retransmitted,
    'dropped_full', c.droppedFull, 'bad_acks', c.badAcks, 'refused', c.refused, 'sensor_failures', c.sensorFailures,
    'from_broker', c.fromBroker, 'renumbered', c.renumbered, 'in_queue', a.queue.liveCount, 'in_flight', a.queue.inFlight, 'queue_bytes', a.queue.fileBytes,
    'mqtt', a.mqtt === undefined ? 'off' : a.mqtt.up ? 'up' : 'down')
}

export function runAgent (a: Agent): void {
  const intervalS = a.config.intervalS
  let sensorsAt = socket.gettime()
  let statsAt = sensorsAt + a.config.statsIntervalS
  while (true) {
    let now = socket.gettime()
    if (now >= sensorsAt) {
      takeSensorReadings(a)
      // A slow command may have made the agent late: the next reading one interval on.
      sensorsAt = sensorsAt + intervalS > now ? sensorsAt + intervalS : now + intervalS
    }
    if (a.mqtt !== undefined) mqttTick(a.mqtt, now)
    const retransmitAt = pump(a, now)
    if (now >= statsAt) {
      logStats(a)
      statsAt = now + a.config.statsIntervalS
    }
    let wakeAt = Math.min(sensorsAt, statsAt, retransmitAt)
    const sockets: Array<socket.UdpSocket | socket.TcpSocket> = [a.udp]
    if (a.mqtt !== undefined) {
      wakeAt = Math.min(wakeAt, mqttWakeAt(a.mqtt))
      if (a.mqtt.tcp !== undefined) sockets.push(a.mqtt.tcp)
    }
    socket.select(sockets, undefined, Math.max(0, wakeAt - socket.gettime()))
    now = socket.gettime()
    receiveFromNode(a, now)
    if (a.mqtt !== undefined) receiveFromBroker(a, a.mqtt, now)
  }
}
