// The node's side of LAN ingest as a small receiver on 127.0.0.1 (tools/harness/lan-receiver.ts),
// closed when the test ends, and a device id and key for it and the agent.
import type { ExecutionContext } from 'ava'
import crypto from 'node:crypto'
import * as harness from '../../tools/harness/lan-receiver.ts'

export { sealAck, type LanReceiver, type ReceivedReading } from '../../tools/harness/lan-receiver.ts'

export interface Device { deviceId: Buffer, key: Buffer }

export function newDevice (): Device {
  return { deviceId: crypto.randomBytes(8), key: crypto.randomBytes(32) }
}

export async function startReceiver (t: ExecutionContext, device: Device, opts: { startStopped?: boolean } = {}): Promise<harness.LanReceiver> {
  const receiver = await harness.startLanReceiver({ ...device, ...opts })
  t.teardown(() => receiver.close())
  return receiver
}
