// Nothing acknowledged is lost and nothing is stored twice: two agents stream readings
// (32 in flight each, sending again what is not acknowledged) while the lan-ingest node
// on Bare is killed with SIGKILL 20 times. Afterwards each reading sent is in the feed
// exactly once.
import test from 'ava'
import { streamReadings } from '../../tools/harness/lan-agent.ts'
import { sleep, until } from '../../tools/harness/wait.ts'
import { lanAgent, lanDevice, lanNode } from '../helpers/lan.ts'
import { startTestnet } from '../helpers/testnet.ts'

const CYCLES = 20

test('20 SIGKILLs while two agents stream readings lose no acknowledged reading and store none twice', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const devices = [lanDevice('kitchen'), lanDevice('attic')]
  const node = await lanNode(t, bootstrap, devices)
  let proc = await node.start()
  const agents = await Promise.all(devices.map((keys) => lanAgent(t, { keys, port: node.port, retryMs: 150 })))

  let streaming = true
  // A reading every 2 ms or so per agent, as fast as acknowledgements allow while the node runs.
  const streams = agents.map((agent, i) => streamReadings(agent, {
    first: 1,
    window: 32,
    reading: (sequence) => ({ sequence, topic: `meter/${devices[i].name}`, payload: Buffer.from(String(sequence)) }),
    more: () => streaming
  }))

  // Readings each start found appended but not acknowledged.
  let recovered = 0
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    await sleep(100 + Math.floor(Math.random() * 300))
    proc.child.kill('SIGKILL')
    t.is((await proc.exited()).signal, 'SIGKILL')
    proc = await node.start()
    recovered += Number((await proc.waitFor('lan-ingest-listening')).recovered)
  }
  streaming = false
  const sent = await Promise.all(streams)
  // The last node takes what the agents still send again.
  await until('every reading acknowledged', () => agents.every((a) => a.inFlight() === 0) ? true : undefined, 30_000)
  const status = await node.lanStatus()
  t.is((await proc.stop(3000)).code, 0)

  const records = await node.readFeed()
  t.log(`${sent.map((n) => n - 1).join(' + ')} readings sent, ${records.length} in the feed, ${CYCLES} kills, ${recovered} readings found ` +
    `appended but not acknowledged at a start; last run: received ${status.received}, stored ${status.stored}, duplicates ${status.duplicates}`)
  devices.forEach((device, i) => {
    const stored = records.filter((r) => r.topic === `meter/${device.name}`).map((r) => r.packetId)
    const expected = Array.from({ length: sent[i] - 1 }, (_, n) => n + 1)
    t.deepEqual([...agents[i].acked].filter((s) => !stored.includes(s)), [], `${device.name}: every acknowledged reading is in the feed`)
    t.is(new Set(stored).size, stored.length, `${device.name}: no reading is in the feed twice`)
    t.deepEqual([...stored].sort((a, b) => a - b), expected, `${device.name}: each reading sent is there once`)
  })
  t.true(records.every((r) => Buffer.from(r.payload).toString() === String(r.packetId)), 'each record holds what was sent under its number')
})
