import { decodeKey, encodeKey } from '../../../node/identity/keys.ts'
import { connectToNode } from '../../client/connect.ts'
import { defineCommand, intFlag, usageError } from '../args.ts'
import { deviceFromFlags, NETWORK_FLAGS, pathWords } from '../network-flags.ts'

export const ping = defineCommand({
  name: 'ping',
  summary: 'Connect to a node by its public key over HyperDHT and print round-trip times.',
  details: 'Any key may ping a node.',
  usage: 'roost ping NODE_KEY [--count N] [--interval MS] [--relay RELAY_KEY] [--bootstrap HOST:PORT]',
  positionals: 1,
  flags: {
    count: { type: 'string', value: 'N', help: 'pings to send (default: 4)' },
    interval: { type: 'string', value: 'MS', help: 'time between pings (default: 500)' },
    ...NETWORK_FLAGS
  }
}, async (flags, [nodeKey]) => {
  if (!nodeKey) throw usageError('ping', 'missing NODE_KEY')
  const count = intFlag('ping', 'count', flags.count, 4, 1, 10_000)
  const interval = intFlag('ping', 'interval', flags.interval, 500, 0, 60_000)
  const node = decodeKey('node key', nodeKey)
  const session = await connectToNode(deviceFromFlags(flags), node)
  const key = encodeKey(session.socket.remotePublicKey)
  const rtts: number[] = []
  try {
    process.stdout.write(`connected to ${key} in ${session.connectMs.toFixed(1)} ms, ${pathWords(session.path())}\n`)
    let said = session.path().relay
    for (let seq = 1; seq <= count; seq++) {
      const rtt = await session.control.ping()
      rtts.push(rtt)
      // A relayed connection moves to the direct path when a punch succeeds later.
      const now = session.path().relay
      const moved = now === said ? '' : ` (now ${pathWords(session.path())})`
      said = now
      process.stdout.write(`reply from ${key}: seq=${seq} time=${rtt.toFixed(2)} ms${moved}\n`)
      if (seq < count) await new Promise((resolve) => setTimeout(resolve, interval))
    }
  } finally {
    await session.close()
  }
  const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length
  process.stdout.write(`${count} sent, ${rtts.length} received, rtt min/avg/max = ` +
    `${Math.min(...rtts).toFixed(2)}/${avg.toFixed(2)}/${Math.max(...rtts).toFixed(2)} ms\n`)
  return 0
})
