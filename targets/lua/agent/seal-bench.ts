// Bench-only entry of a Lua bundle (tools/bench/agent.ts), never in the agent's package:
//
//   lua5.3 seal-bench.lua COUNT KEY_HEX DEVICE_ID_HEX TOPIC PAYLOAD
//
// seals COUNT readings the way the agent seals what the broker delivers (readings.ts: the
// next sequence number, a fresh nonce from /dev/urandom, the datagram as a Lua string for
// the queue) and prints one line in the agent's log format:
//
//   event=seal-bench count=COUNT seconds=CPU_SECONDS last=HEX
//
// CPU seconds from os.clock, so another process on the machine slows the rate little;
// the last datagram lets the caller check with sodium that what was timed is a reading.
import { logEvent } from './log.ts'
import { newQueue } from './queue.ts'
import { urandomBytes } from './random.ts'
import { type Reading, sealReadings } from './readings.ts'
import { parseHex, parseWhole, toBytes } from './text.ts'
import { toHex } from './vector-cases.ts'

function fail (message: string): never {
  io.stderr.write(`seal-bench: ${message}\n`)
  return os.exit(1)
}

function main (): void {
  const count = parseWhole(arg[0] ?? '')
  const key = parseHex(arg[1] ?? '', 32)
  const deviceId = parseHex(arg[2] ?? '', 8)
  const topic = arg[3]
  const payload = arg[4]
  if (count === undefined || count < 1 || key === undefined || deviceId === undefined || topic === undefined || payload === undefined) {
    return fail('usage: seal-bench.lua COUNT KEY_HEX(64) DEVICE_ID_HEX(16) TOPIC PAYLOAD')
  }
  // Only its sequence numbers are used: nothing is written anywhere.
  const queue = newQueue({ read: () => undefined, append: () => false, replace: () => false }, 0)
  const device = { key, deviceId, randomBytes: urandomBytes }
  const timeMs = Math.floor(os.time() * 1000)
  let last = ''
  const started = os.clock()
  for (let i = 0; i < count; i++) {
    // One reading a call, as the broker mostly delivers them in a steady stream.
    const readings: Reading[] = [{ topic, payload, timeMs }]
    const sealed = sealReadings(queue, device, readings)
    if (sealed.entries.length !== 1) return fail(`reading ${i + 1} was refused: ${sealed.refused[0]?.refusal ?? 'no entry'}`)
    last = sealed.entries[0].datagram
  }
  const seconds = os.clock() - started
  logEvent('seal-bench', 'count', count, 'seconds', seconds, 'last', toHex(toBytes(last)))
}

main()
