// What lan-ingest sends back to agents (node/lan/acks.ts), with a fake socket and clock:
// the acknowledgements of a turn go out together, each number once, 64 a datagram, to
// where the device last sent from, each with its highest stored number; a reading too old for the
// window gets an empty acknowledgement, at most one a second per device.
import test from 'ava'
import type { RemoteInfo } from '#dgram'
import b4a from 'b4a'
import { createAckSender, EMPTY_ACK_INTERVAL_MS } from '../../node/lan/acks.ts'
import type { Device } from '../../node/lan/devices.ts'
import { newAgentKeys, openAck, type Ack } from '../../tools/harness/lan-agent.ts'

function device (name: string): Device & { keys: { id: string, key: string } } {
  const keys = newAgentKeys()
  return { name, id: keys.id, idBytes: b4a.from(keys.id, 'hex'), key: b4a.from(keys.key, 'hex'), rules: [], source: 'config', keys }
}

interface Sent { to: string, ack: Ack | null, datagram: Uint8Array }

function setup (highest: Record<string, number>): { sent: Sent[], clock: { now: number }, acks: ReturnType<typeof createAckSender>, devices: Array<ReturnType<typeof device>> } {
  const devices = [device('kitchen'), device('attic')]
  const sent: Sent[] = []
  const clock = { now: 1_000_000 }
  const acks = createAckSender({
    highest: (id) => highest[devices.find((d) => d.id === id)!.name] ?? 0,
    send: (datagram, remote) => sent.push({ to: `${remote.address}:${remote.port}`, datagram, ack: openAck(devices.find((d) => b4a.toString(datagram.subarray(1, 9), 'hex') === d.id)!.keys, datagram) }),
    now: () => clock.now
  })
  return { sent, clock, acks, devices }
}

const from = (port: number): RemoteInfo => ({ address: '127.0.0.1', port })
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

test('the acknowledgements of one turn go out together, each number once, 64 a datagram, where the device last sent from, with its highest', async (t) => {
  const { sent, acks, devices: [kitchen, attic] } = setup({ kitchen: 200, attic: 7 })
  acks.heardFrom(kitchen, from(5000))
  acks.heardFrom(attic, from(6000))
  for (let s = 1; s <= 70; s++) acks.queue(kitchen, s)
  // Sent again within the turn: named once.
  acks.queue(kitchen, 5)
  acks.queue(attic, 7)
  acks.heardFrom(kitchen, from(5001))
  t.is(sent.length, 0, 'sent before the turn ended')
  await turn()
  t.deepEqual(sent.map((s) => [s.to, s.ack?.highest, s.ack?.sequences.length]), [['127.0.0.1:5001', 200, 64], ['127.0.0.1:5001', 200, 6], ['127.0.0.1:6000', 7, 1]])
  t.deepEqual(sent.flatMap((s) => s.ack?.sequences ?? []), [...Array.from({ length: 70 }, (_, i) => i + 1), 7])
  acks.queue(attic, 8)
  acks.flush()
  t.is(sent.length, 4, 'flush sends what is queued at once')
})

test('a reading too old for the window gets an empty acknowledgement with the highest, at most one a second per device', (t) => {
  const { sent, clock, acks, devices: [kitchen, attic] } = setup({ kitchen: 3008, attic: 2000 })
  t.true(acks.tooOld(kitchen, from(5000)))
  t.deepEqual(sent[0].ack, { highest: 3008, sequences: [] })
  t.is(sent[0].to, '127.0.0.1:5000', 'answered where the reading came from')
  // A flood of replayed old datagrams in the same second: no more answers.
  for (let i = 0; i < 1000; i++) {
    clock.now += EMPTY_ACK_INTERVAL_MS / 1000 - 0.001
    t.false(acks.tooOld(kitchen, from(5000 + i)))
  }
  t.true(acks.tooOld(attic, from(6000)), 'another device has its own second')
  clock.now = 1_000_000 + EMPTY_ACK_INTERVAL_MS
  t.true(acks.tooOld(kitchen, from(5000)))
  // A clock set back does not silence a device.
  clock.now -= 60_000
  t.true(acks.tooOld(kitchen, from(5000)))
  t.deepEqual(sent.map((s) => s.ack), [
    { highest: 3008, sequences: [] }, { highest: 2000, sequences: [] }, { highest: 3008, sequences: [] }, { highest: 3008, sequences: [] }
  ])
})
