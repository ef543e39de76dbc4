// The agent's MQTT 3.1.1 client for the router's own broker, over LuaSocket: a persistent
// session (clean session off, a stable client id) subscribed at QoS 1, so the broker keeps
// what arrives while the agent is away; a QoS 1 reading is acknowledged (PUBACK) only
// after the agent has appended it to its disk queue (mqttAck). mosquitto_sub acknowledges
// on receipt, so what sat in its pipe would be lost with the agent. Reconnects with
// backoff; PINGREQ keeps the connection alive.
import * as socket from 'socket'
import { type BrokerConfig } from './config.ts'
import { logEvent } from './log.ts'
import { decodePacket, encodeConnect, encodePingreq, encodePuback, encodeSubscribe, type MqttPacket } from './mqtt-codec.ts'
import { type Reading } from './readings.ts'
import { nowMs } from './sensors.ts'

const KEEPALIVE_S = 60
// A connect or a write blocks the agent this long at most (the broker is usually local).
const BLOCK_S = 5
const MAX_BACKOFF_S = 60

export interface Mqtt {
  config: BrokerConfig
  tcp: socket.TcpSocket | undefined
  // CONNACK accepted.
  up: boolean
  buffer: string
  retryAt: number
  backoffS: number
  lastSentAt: number
  lastHeardAt: number
}

export interface Delivery {
  reading: Reading
  // 0 for QoS 0: nothing to acknowledge.
  packetId: number
}

export function newMqtt (config: BrokerConfig): Mqtt {
  return { config, tcp: undefined, up: false, buffer: '', retryAt: 0, backoffS: 1, lastSentAt: 0, lastHeardAt: 0 }
}

export function mqttDrop (m: Mqtt, now: number, reason: string): void {
  if (m.tcp !== undefined) m.tcp.close()
  m.tcp = undefined
  m.up = false
  m.buffer = ''
  m.retryAt = now + m.backoffS
  logEvent('mqtt-down', 'reason', reason, 'retry_s', m.backoffS)
  m.backoffS = Math.min(m.backoffS * 2, MAX_BACKOFF_S)
}

function send (m: Mqtt, data: string, now: number): boolean {
  const tcp = m.tcp
  if (tcp === undefined) return false
  tcp.settimeout(BLOCK_S)
  const [sent, err] = tcp.send(data)
  tcp.settimeout(0)
  if (sent === undefined) {
    mqttDrop(m, now, `send: ${err}`)
    return false
  }
  m.lastSentAt = now
  return true
}

function connect (m: Mqtt, now: number): void {
  const [tcp, err] = socket.tcp()
  if (tcp === undefined) return mqttDrop(m, now, `socket: ${err}`)
  tcp.settimeout(BLOCK_S)
  const [connected, connectErr] = tcp.connect(m.config.host, m.config.port)
  if (connected === undefined) {
    tcp.close()
    return mqttDrop(m, now, `connect to ${m.config.host}:${m.config.port}: ${connectErr}`)
  }
  tcp.settimeout(0)
  m.tcp = tcp
  m.lastHeardAt = now
  send(m, encodeConnect({ clientId: m.config.clientId, keepaliveS: KEEPALIVE_S, cleanSession: false, username: m.config.username, password: m.config.password }), now)
}

// Connects when it is time to, pings when idle, and gives up on a silent broker.
export function mqttTick (m: Mqtt, now: number): void {
  if (m.tcp === undefined) {
    if (now >= m.retryAt) connect(m, now)
  } else if (!m.up && now - m.lastHeardAt > 2 * BLOCK_S) {
    mqttDrop(m, now, 'no CONNACK')
  } else if (now - m.lastHeardAt > KEEPALIVE_S * 1.5) {
    mqttDrop(m, now, 'no answer to PINGREQ')
  } else if (m.up && now - m.lastSentAt >= KEEPALIVE_S / 2) {
    send(m, encodePingreq(), now)
  }
}

// When mqttTick has something to do next.
export function mqttWakeAt (m: Mqtt): number {
  if (m.tcp === undefined) return m.retryAt
  if (!m.up) return m.lastHeardAt + 2 * BLOCK_S
  return Math.min(m.lastSentAt + KEEPALIVE_S / 2, m.lastHeardAt + KEEPALIVE_S * 1.5)
}

function handle (m: Mqtt, packet: MqttPacket, now: number, out: Delivery[]): void {
  if (packet.kind === 'connack') {
    if (packet.returnCode !== 0) return mqttDrop(m, now, `broker refused the connection (CONNACK return code ${packet.returnCode})`)
    m.up = true
    m.backoffS = 1
    logEvent('mqtt-up', 'broker', `${m.config.host}:${m.config.port}`, 'client_id', m.config.clientId, 'session_present', packet.sessionPresent ? 1 : 0)
    send(m, encodeSubscribe(1, m.config.topics, 1), now)
  } else if (packet.kind === 'suback') {
    for (let i = 0; i < packet.granted.length; i++) {
      if (packet.granted[i] === 0x80) logEvent('mqtt-subscribe-refused', 'topic', m.config.topics[i] ?? '?')
    }
  } else if (packet.kind === 'publish' && packet.qos < 2) {
    // Subscribed at QoS 1, the broker never sends QoS 2.
    out.push({ reading: { topic: packet.topic, payload: packet.payload, timeMs: nowMs() }, packetId: packet.qos === 1 ? packet.packetId : 0 })
  }
}

// The readings that have arrived. When the connection is lost on the way, the QoS 1 ones
// are left out: unacknowledged, the broker sends them again, and queued now they would be
// queued twice.
export function mqttReceive (m: Mqtt, now: number): Delivery[] {
  const out: Delivery[] = []
  if (m.tcp === undefined) return out
  const [data, err, partial] = m.tcp.receive(8192)
  const chunk = data ?? partial ?? ''
  if (chunk.length > 0) {
    m.buffer = m.buffer + chunk
    m.lastHeardAt = now
  }
  let at = 0
  while (m.tcp !== undefined) {
    const decoded = decodePacket(m.buffer, at)
    if (decoded.status === 'incomplete') break
    if (decoded.status === 'malformed') {
      mqttDrop(m, now, `malformed packet: ${decoded.reason}`)
      break
    }
    handle(m, decoded.packet, now, out)
    at = decoded.next
  }
  if (m.tcp !== undefined) m.buffer = m.buffer.substring(at, m.buffer.length)
  if (m.tcp !== undefined && err !== undefined && err !== 'timeout') mqttDrop(m, now, `receive: ${err}`)
  if (m.tcp !== undefined) return out
  const kept: Delivery[] = []
  for (let i = 0; i < out.length; i++) {
    if (out[i].packetId === 0) kept.push(out[i])
  }
  return kept
}

// PUBACKs for readings now on the disk queue, in one write.
export function mqttAck (m: Mqtt, packetIds: number[], now: number): void {
  const parts: string[] = []
  for (let i = 0; i < packetIds.length; i++) parts.push(encodePuback(packetIds[i]))
  if (parts.length > 0) send(m, parts.join(''), now)
}
