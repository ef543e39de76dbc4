// The Lua agent's MQTT 3.1.1 packets (targets/lua/agent/mqtt-codec.ts) run as TypeScript
// under Node, checked against mqtt-packet, the codec of mqtt.js: what the agent writes
// mqtt-packet reads as meant, and what mqtt-packet writes the agent reads, split anywhere.
import test from 'ava'
import * as mqttPacket from 'mqtt-packet'
import { decodePacket, encodeConnect, encodeDisconnect, encodePingreq, encodePuback, encodeSubscribe, MAX_PACKET_BYTES, type Decoded } from '../../targets/lua/agent/mqtt-codec.ts'

// The agent's byte strings are latin1 strings under Node.
const bytes = (text: string): Buffer => Buffer.from(text, 'latin1')
const text = (buffer: Buffer): string => buffer.toString('latin1')

function parseWithMqttPacket (data: string): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 })
  const packets: mqttPacket.Packet[] = []
  const errors: Error[] = []
  parser.on('packet', (packet: mqttPacket.Packet) => packets.push(packet))
  parser.on('error', (err: Error) => errors.push(err))
  parser.parse(bytes(data))
  if (errors.length > 0) throw errors[0]
  return packets
}

test('CONNECT: a persistent session with a stable client id, with and without a login, as mqtt-packet reads it', (t) => {
  const [plain] = parseWithMqttPacket(encodeConnect({ clientId: 'roost-0123456789abcdef', keepaliveS: 60, cleanSession: false, username: undefined, password: undefined }))
  t.like(plain, { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: false, keepalive: 60, clientId: 'roost-0123456789abcdef' })
  t.is((plain as mqttPacket.IConnectPacket).username, undefined)
  const [login] = parseWithMqttPacket(encodeConnect({ clientId: 'a', keepaliveS: 300, cleanSession: true, username: 'router', password: 'secret' }))
  t.like(login, { cmd: 'connect', clean: true, keepalive: 300, clientId: 'a', username: 'router' })
  t.is(String((login as mqttPacket.IConnectPacket).password), 'secret')
})

test('SUBSCRIBE, PUBACK, PINGREQ and DISCONNECT as mqtt-packet reads them', (t) => {
  const packets = parseWithMqttPacket(encodeSubscribe(7, ['home/#', 'garden/+/temp'], 1) + encodePuback(65535) + encodePingreq() + encodeDisconnect())
  t.like(packets[0], { cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'home/#', qos: 1 }, { topic: 'garden/+/temp', qos: 1 }] })
  t.like(packets[1], { cmd: 'puback', messageId: 65535 })
  t.like(packets[2], { cmd: 'pingreq' })
  t.like(packets[3], { cmd: 'disconnect' })
})

test('a subscription of many topics has a remaining length of several bytes, as mqtt-packet writes it', (t) => {
  const topics = Array.from({ length: 200 }, (_, i) => `home/room-${i}/temperature`)
  const ours = encodeSubscribe(1, topics, 1)
  t.is(ours, text(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: topics.map((topic) => ({ topic, qos: 1 as const })) })))
})

function decodeAll (data: string): Decoded[] {
  const out: Decoded[] = []
  let at = 0
  for (;;) {
    const decoded = decodePacket(data, at)
    out.push(decoded)
    if (decoded.status !== 'packet') return out
    at = decoded.next
  }
}

test('CONNACK, SUBACK, PUBLISH at QoS 0 and 1 (DUP, retain, binary and UTF-8) and PINGRESP from mqtt-packet', (t) => {
  const payload = Buffer.from([0, 1, 2, 0xff, 0x80, 0x0a])
  const data = text(Buffer.concat([
    mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: true }),
    mqttPacket.generate({ cmd: 'suback', messageId: 1, granted: [1, 0, 128] }),
    mqttPacket.generate({ cmd: 'publish', topic: 'home/t', payload: '21.5', qos: 0, dup: false, retain: true }),
    mqttPacket.generate({ cmd: 'publish', topic: 'home/käse', payload, qos: 1, messageId: 513, dup: true, retain: false }),
    mqttPacket.generate({ cmd: 'pingresp' })
  ]))
  const decoded = decodeAll(data)
  t.deepEqual(decoded.map((d) => d.status === 'packet' ? d.packet : d), [
    { kind: 'connack', sessionPresent: true, returnCode: 0 },
    { kind: 'suback', packetId: 1, granted: [1, 0, 128] },
    { kind: 'publish', topic: 'home/t', payload: '21.5', qos: 0, packetId: 0, dup: false, retain: true },
    { kind: 'publish', topic: text(Buffer.from('home/käse')), payload: text(payload), qos: 1, packetId: 513, dup: true, retain: false },
    { kind: 'pingresp' },
    { status: 'incomplete' }
  ])
})

test('a packet split anywhere is incomplete until its last byte, and a 70 KB PUBLISH decodes whole', (t) => {
  const big = Buffer.alloc(70_000, 0x61)
  const data = text(mqttPacket.generate({ cmd: 'publish', topic: 'home/big', payload: big, qos: 1, messageId: 9, dup: false, retain: false }))
  for (const cut of [0, 1, 2, 3, 4, 5, 100, data.length - 1]) t.deepEqual(decodePacket(data.slice(0, cut), 0), { status: 'incomplete' }, `cut at ${cut}`)
  const whole = decodePacket(data, 0)
  if (whole.status !== 'packet' || whole.packet.kind !== 'publish') return t.fail(JSON.stringify(whole))
  t.is(whole.packet.payload.length, 70_000)
  t.is(whole.next, data.length)
})

test('malformed: a remaining length over four bytes, a packet over the agent\'s bound, a topic past the end, QoS 3', (t) => {
  t.like(decodePacket('\x30\xff\xff\xff\xff\x01', 0), { status: 'malformed' })
  const huge = text(mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(MAX_PACKET_BYTES + 1), qos: 0, dup: false, retain: false }))
  t.like(decodePacket(huge.slice(0, 10), 0), { status: 'malformed' })
  t.like(decodePacket('\x30\x03\x00\x09a', 0), { status: 'malformed', reason: 'PUBLISH topic runs past the packet' })
  t.like(decodePacket('\x36\x03\x00\x01a', 0), { status: 'malformed', reason: 'PUBLISH with QoS 3' })
})
