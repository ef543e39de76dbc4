// The MQTT 3.1.1 packets the agent exchanges with the router's broker, as byte strings:
// it sends CONNECT, SUBSCRIBE, PUBACK, PINGREQ and DISCONNECT and reads CONNACK, SUBACK,
// PUBLISH and PINGRESP (OASIS MQTT 3.1.1, section 3). Runs under Node too, where
// test/unit/lua-agent-mqtt.test.ts checks it against mqtt-packet, the codec of mqtt.js.
import { uint16 } from './text.ts'

export const PROTOCOL_LEVEL = 4
// A PUBLISH bigger than this ends the connection rather than the agent's memory (the
// board's budget is 4 MB); a reading must fit a 1,400-byte datagram anyway.
export const MAX_PACKET_BYTES = 262144

export interface ConnectOptions {
  clientId: string
  keepaliveS: number
  cleanSession: boolean
  username: string | undefined
  password: string | undefined
}

export type MqttPacket =
  | { kind: 'connack', sessionPresent: boolean, returnCode: number }
  | { kind: 'suback', packetId: number, granted: number[] }
  | { kind: 'publish', topic: string, payload: string, qos: number, packetId: number, dup: boolean, retain: boolean }
  | { kind: 'pingresp' }
  | { kind: 'other', type: number }

// `next` is where the following packet starts; `incomplete` asks for more bytes.
export type Decoded =
  | { status: 'packet', packet: MqttPacket, next: number }
  | { status: 'incomplete' }
  | { status: 'malformed', reason: string }

function withLength (text: string): string {
  return uint16(text.length) + text
}

function packet (firstByte: number, body: string): string {
  const parts = [String.fromCharCode(firstByte)]
  // The remaining length: 7 bits a byte, low groups first, the top bit says more follow.
  let length = body.length
  do {
    let digit = length % 128
    length = Math.floor(length / 128)
    if (length > 0) digit += 128
    parts.push(String.fromCharCode(digit))
  } while (length > 0)
  parts.push(body)
  return parts.join('')
}

export function encodeConnect (opts: ConnectOptions): string {
  let flags = opts.cleanSession ? 0x02 : 0
  if (opts.username !== undefined) flags += 0x80
  if (opts.password !== undefined) flags += 0x40
  const parts = [withLength('MQTT'), String.fromCharCode(PROTOCOL_LEVEL, flags), uint16(opts.keepaliveS), withLength(opts.clientId)]
  if (opts.username !== undefined) parts.push(withLength(opts.username))
  if (opts.password !== undefined) parts.push(withLength(opts.password))
  return packet(0x10, parts.join(''))
}

export function encodeSubscribe (packetId: number, topics: string[], qos: number): string {
  const parts = [uint16(packetId)]
  for (let i = 0; i < topics.length; i++) parts.push(withLength(topics[i]) + String.fromCharCode(qos))
  return packet(0x82, parts.join(''))
}

export function encodePuback (packetId: number): string {
  return packet(0x40, uint16(packetId))
}

export function encodePingreq (): string {
  return packet(0xc0, '')
}

export function encodeDisconnect (): string {
  return packet(0xe0, '')
}

function u16At (data: string, at: number): number {
  return data.charCodeAt(at) * 256 + data.charCodeAt(at + 1)
}

function decodeBody (type: number, flags: number, data: string, start: number, end: number): MqttPacket | string {
  const size = end - start
  if (type === 2) {
    if (size !== 2) return 'CONNACK is not 2 bytes'
    return { kind: 'connack', sessionPresent: (data.charCodeAt(start) & 1) === 1, returnCode: data.charCodeAt(start + 1) }
  }
  if (type === 9) {
    if (size < 3) return 'SUBACK is too short'
    const granted: number[] = []
    for (let i = start + 2; i < end; i++) granted.push(data.charCodeAt(i))
    return { kind: 'suback', packetId: u16At(data, start), granted }
  }
  if (type === 3) {
    const qos = (flags >>> 1) & 3
    if (qos === 3) return 'PUBLISH with QoS 3'
    if (size < 2) return 'PUBLISH is too short'
    const topicEnd = start + 2 + u16At(data, start)
    const payloadStart = topicEnd + (qos > 0 ? 2 : 0)
    if (payloadStart > end) return 'PUBLISH topic runs past the packet'
    return {
      kind: 'publish',
      topic: data.substring(start + 2, topicEnd),
      payload: data.substring(payloadStart, end),
      qos,
      packetId: qos > 0 ? u16At(data, topicEnd) : 0,
      dup: (flags & 8) === 8,
      retain: (flags & 1) === 1
    }
  }
  if (type === 13) return { kind: 'pingresp' }
  return { kind: 'other', type }
}

export function decodePacket (data: string, at: number): Decoded {
  if (data.length - at < 2) return { status: 'incomplete' }
  const first = data.charCodeAt(at)
  let length = 0
  let scale = 1
  let pos = at + 1
  while (true) {
    if (pos >= data.length) return { status: 'incomplete' }
    const digit = data.charCodeAt(pos)
    length += (digit & 127) * scale
    pos++
    if (digit < 128) break
    scale *= 128
    if (pos - at > 4) return { status: 'malformed', reason: 'remaining length longer than 4 bytes' }
  }
  if (length > MAX_PACKET_BYTES) return { status: 'malformed', reason: `a ${length}-byte packet (the agent takes up to ${MAX_PACKET_BYTES})` }
  if (data.length - pos < length) return { status: 'incomplete' }
  const body = decodeBody(first >>> 4, first & 15, data, pos, pos + length)
  if (typeof body === 'string') return { status: 'malformed', reason: body }
  return { status: 'packet', packet: body, next: pos + length }
}
