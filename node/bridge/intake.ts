// How the bridge takes messages from mqtt.js: a bounded number in memory at a time,
// and each QoS 1 PUBACK held until the reading is stored, then sent in the order the
// messages arrived. Why and how: docs/decisions/bridge-holds-pubacks.md.
// upstream(mqtt@5.16.0): relies on handleMessage's callback and client._sendPacket
// (lib/handlers/publish.js); check both on an upgrade.
import type { MqttClient } from 'mqtt'
import { NodeError } from '../errors.ts'

// Messages admitted and not settled (QoS 0: stored; QoS 1: acknowledged) at most. Also
// the most readings that can be stored and not yet acknowledged when the node dies, so
// the DUP check's memory of recent records (state.ts) must reach at least this far back.
// Two batches of BRIDGE_DEFAULTS.maxBatch: one written while the next fills.
export const MAX_UNSETTLED_READINGS = 1024

export interface IntakePacket { qos: 0 | 1 | 2, messageId?: number }

export interface IntakeStats {
  // Admitted and not yet settled.
  unsettled: number
  // Times the intake stopped taking messages because MAX_UNSETTLED_READINGS were in memory.
  pauses: number
}

export interface Intake {
  stats (): IntakeStats
  // True while the message being stored is the last one let in until some settle: its
  // reading should be written now, not on a timer.
  full (): boolean
  // Takes no more messages and settles when every admitted one is stored and, if
  // QoS 1, acknowledged (or failed to store, and is left for the broker to send again).
  drain (): Promise<void>
}

const ACK_HELD = NodeError.ACK_HELD()

interface HeldAck {
  messageId: number
  // The connection the PUBLISH came on: a PUBACK is only valid there.
  stream: unknown
  state: 'storing' | 'stored' | 'failed'
}

type SendPacket = (this: MqttClient, packet: { cmd: 'puback', messageId: number, reasonCode: number }) => void

// `store` must settle once the reading is stored (or refused or deduplicated: nothing
// more to do) and reject if it could not be stored.
export function attachIntake<P extends IntakePacket> (client: MqttClient, store: (packet: P) => Promise<void>): Intake {
  const sendPacket = (client as unknown as { _sendPacket?: SendPacket })._sendPacket
  if (typeof sendPacket !== 'function') throw NodeError.MQTT_UNSUPPORTED('it has no client._sendPacket, so the bridge cannot hold PUBACKs until readings are stored')
  const sendPuback = sendPacket.bind(client)
  let unsettled = 0
  let pauses = 0
  let draining = false
  // mqtt.js's callbacks for messages not let in yet: one per connection at most, as
  // mqtt.js waits for it before handing over the next message.
  const parked: Array<() => void> = []
  const acks: HeldAck[] = []
  let idle: Array<() => void> = []

  function admit (next: () => void): void {
    if (!draining && unsettled < MAX_UNSETTLED_READINGS) {
      next()
      return
    }
    parked.push(next)
    pauses++
  }

  function settle (): void {
    unsettled--
    while (!draining && parked.length > 0 && unsettled < MAX_UNSETTLED_READINGS) parked.shift()!()
    if (unsettled === 0) {
      const waiting = idle
      idle = []
      for (const resolve of waiting) resolve()
    }
  }

  function releaseAcks (): void {
    while (acks.length > 0 && acks[0].state !== 'storing') {
      const ack = acks.shift()!
      // After a reconnect the broker sends an unacknowledged message again (DUP) and
      // that copy gets the PUBACK; the old connection's is dropped.
      if (ack.state === 'stored' && ack.stream === client.stream && client.connected) {
        sendPuback({ cmd: 'puback', messageId: ack.messageId, reasonCode: 0 })
      }
      settle()
    }
  }

  client.handleMessage = (packet: unknown, callback: (err?: Error) => void) => {
    const p = packet as P
    unsettled++
    if (p.qos === 1 && typeof p.messageId === 'number') {
      const ack: HeldAck = { messageId: p.messageId, stream: client.stream, state: 'storing' }
      acks.push(ack)
      store(p).then(() => { ack.state = 'stored' }, () => { ack.state = 'failed' }).then(releaseAcks)
      admit(() => callback(ACK_HELD))
    } else if (p.qos === 2) {
      // The bridge subscribes at QoS 1, so brokers downgrade QoS 2 to it; should one
      // come, mqtt.js sends its PUBCOMP in the callback: only once stored.
      store(p).then(() => callback(), (err: Error) => callback(err)).then(settle)
    } else {
      // A failed store was logged by `store`'s caller; a QoS 0 reading is not sent again.
      store(p).then(settle, settle)
      admit(callback)
    }
  }

  return {
    stats: () => ({ unsettled, pauses }),
    full: () => unsettled >= MAX_UNSETTLED_READINGS,
    drain () {
      draining = true
      if (unsettled === 0) return Promise.resolve()
      return new Promise<void>((resolve) => idle.push(resolve))
    }
  }
}
