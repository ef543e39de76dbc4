// NAT-PMP (RFC 6886): the home router's UDP port 5351 maps a port for a lease and says
// its external address. Messages are fixed-size big-endian records; the router's epoch
// (seconds since it started mapping) tells a client that it rebooted and forgot the
// mapping. Pure encoding here; the exchange over UDP is in udp-exchange.ts.
export const NAT_PMP_PORT = 5351

// Result codes of RFC 6886 §3.5, in words a user can act on.
const RESULTS: Record<number, string> = {
  1: 'the router does not speak this NAT-PMP version',
  2: 'the router refuses to map ports (NAT-PMP is turned off or not allowed for this address)',
  3: 'the router cannot map ports now (it has no external address or its WAN link is down)',
  4: 'the router has no free ports',
  5: 'the router does not support mapping this way'
}

export function resultReason (code: number): string {
  return RESULTS[code] ?? `the router answered with NAT-PMP result ${code}`
}

export function externalAddressRequest (): Uint8Array {
  return Uint8Array.of(0, 0)
}

// A UDP mapping request; lifetime 0 deletes the mapping (and external port must be 0).
export function mapUdpRequest (internalPort: number, externalPort: number, lifetimeSeconds: number): Uint8Array {
  const msg = new Uint8Array(12)
  const view = new DataView(msg.buffer)
  view.setUint8(0, 0)
  view.setUint8(1, 1)
  view.setUint16(4, internalPort)
  view.setUint16(6, externalPort)
  view.setUint32(8, lifetimeSeconds)
  return msg
}

export interface ExternalAddressReply { result: number, epoch: number, address: string }
export interface MapReply { result: number, epoch: number, internalPort: number, externalPort: number, lifetimeSeconds: number }

function view (msg: Uint8Array): DataView {
  return new DataView(msg.buffer, msg.byteOffset, msg.byteLength)
}

// null when `msg` is not that reply (another opcode, too short): a stray datagram.
export function readExternalAddressReply (msg: Uint8Array): ExternalAddressReply | null {
  if (msg.byteLength < 8 || msg[0] !== 0 || msg[1] !== 128) return null
  const v = view(msg)
  const result = v.getUint16(2)
  if (result !== 0) return { result, epoch: v.getUint32(4), address: '' }
  if (msg.byteLength < 12) return null
  return { result, epoch: v.getUint32(4), address: `${msg[8]}.${msg[9]}.${msg[10]}.${msg[11]}` }
}

export function readMapUdpReply (msg: Uint8Array): MapReply | null {
  if (msg.byteLength < 8 || msg[0] !== 0 || msg[1] !== 129) return null
  const v = view(msg)
  const result = v.getUint16(2)
  if (result !== 0 || msg.byteLength < 16) return { result, epoch: v.getUint32(4), internalPort: 0, externalPort: 0, lifetimeSeconds: 0 }
  return { result, epoch: v.getUint32(4), internalPort: v.getUint16(8), externalPort: v.getUint16(10), lifetimeSeconds: v.getUint32(12) }
}

// Where a router announces that it (re)started or its address changed: NAT-PMP's and
// PCP's announcements go to all hosts on the LAN (RFC 6886 §3.2.1, RFC 6887 §14.1.3).
export const ANNOUNCE_GROUP = '224.0.0.1'
export const ANNOUNCE_PORT = 5350

// The epoch of an announcement, NAT-PMP's (version 0) or PCP's ANNOUNCE (version 2);
// null for anything else.
export function readAnnouncement (msg: Uint8Array): number | null {
  const v = view(msg)
  if (msg.byteLength >= 12 && msg[0] === 0 && msg[1] === 128 && v.getUint16(2) === 0) return v.getUint32(4)
  if (msg.byteLength >= 24 && msg[0] === 2 && msg[1] === 128 && msg[3] === 0) return v.getUint32(8)
  return null
}

// RFC 6886 §3.6: a router's epoch runs with its clock; one that is further behind than
// the time since the last reply (allowing 1/8 drift and 2 s) restarted and may have
// lost every mapping.
export function epochWentBack (previous: { epoch: number, atMs: number }, epoch: number, nowMs: number): boolean {
  const elapsed = (nowMs - previous.atMs) / 1000
  return epoch + 2 < previous.epoch + elapsed * 7 / 8
}
