import type { ExecutionContext } from 'ava'
import createTestnet from 'hyperdht/testnet.js'

// A HyperDHT testnet on loopback for one test, destroyed when it ends.
export async function startTestnet (t: ExecutionContext): Promise<{ bootstrap: string[] }> {
  const testnet = await createTestnet(3, { host: '127.0.0.1' })
  t.teardown(() => testnet.destroy())
  return { bootstrap: testnet.bootstrap.map((b) => `${b.host}:${b.port}`) }
}
