// What lan-ingest sends back to its agents (docs/decisions/lan-ingest-wire.md): the
// acknowledgements of the readings a turn of the event loop stored, held in, or did not
// want, one datagram per device and 64 sequence numbers, sent where the device last sent
// from; and the empty acknowledgement that tells an agent whose numbers fell below the
// window (its queue was lost and it numbers from 1 again) the highest the node has.
import type { RemoteInfo } from '#dgram'
import type { Device } from './devices.ts'
import { MAX_ACKED, sealAck } from './wire.ts'

// At most one empty acknowledgement a second per device: a flood of replayed old
// datagrams gets no more than that back (each is smaller than the reading it answers), and
// an agent that renumbers needs only one.
export const EMPTY_ACK_INTERVAL_MS = 1000

export interface AckSender {
  // Where the device's authentic datagrams come from: its acknowledgements go there.
  heardFrom (device: Device, remote: RemoteInfo): void
  // Acknowledges the sequence number at the end of this turn, with the device's others.
  queue (device: Device, sequence: number): void
  // An empty acknowledgement carrying the device's highest stored number, to the sender
  // of a reading too old for the window; false when the device had one less than
  // EMPTY_ACK_INTERVAL_MS ago.
  tooOld (device: Device, remote: RemoteInfo): boolean
  // Sends what is queued now (the role is closing).
  flush (): void
}

export interface AckOptions {
  // The highest sequence number stored for the device: every acknowledgement carries it.
  highest (deviceId: string): number
  send (datagram: Uint8Array, remote: RemoteInfo): void
  // Milliseconds; Date.now unless a test gives its own clock.
  now?: () => number
}

export function createAckSender ({ highest, send, now = Date.now }: AckOptions): AckSender {
  const replyTo = new Map<string, RemoteInfo>()
  // A number sent again within the turn is named once.
  const queued = new Map<string, { device: Device, sequences: Set<number> }>()
  // Keyed by device id, which only an authentic datagram gets here with: as many entries
  // as devices.
  const lastEmptyAt = new Map<string, number>()
  let soon: ReturnType<typeof setImmediate> | null = null

  function flush (): void {
    if (soon !== null) clearImmediate(soon)
    soon = null
    for (const { device, sequences: named } of queued.values()) {
      const remote = replyTo.get(device.id)
      if (remote === undefined) continue
      const top = highest(device.id)
      const sequences = [...named]
      // A lost acknowledgement costs a retransmission, which is acknowledged again.
      for (let i = 0; i < sequences.length; i += MAX_ACKED) send(sealAck(device.idBytes, device.key, top, sequences.slice(i, i + MAX_ACKED)), remote)
    }
    queued.clear()
  }

  return {
    heardFrom (device, remote) { replyTo.set(device.id, remote) },
    queue (device, sequence) {
      const entry = queued.get(device.id)
      if (entry === undefined) queued.set(device.id, { device, sequences: new Set([sequence]) })
      else entry.sequences.add(sequence)
      soon ??= setImmediate(flush)
    },
    tooOld (device, remote) {
      const at = now()
      const last = lastEmptyAt.get(device.id)
      // A clock set back (NTP after a boot without one) does not silence the device.
      if (last !== undefined && at >= last && at - last < EMPTY_ACK_INTERVAL_MS) return false
      lastEmptyAt.set(device.id, at)
      send(sealAck(device.idBytes, device.key, highest(device.id), []), remote)
      return true
    },
    flush
  }
}
