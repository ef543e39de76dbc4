import type { ExecutionContext } from 'ava'
import { startTestnet as start } from '../../tools/harness/testnet.ts'

// A HyperDHT testnet on loopback for one test, destroyed when it ends.
export async function startTestnet (t: ExecutionContext): Promise<{ bootstrap: string[] }> {
  const testnet = await start()
  t.teardown(() => testnet.destroy())
  return testnet
}
