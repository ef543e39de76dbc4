// A HyperDHT testnet on this machine for `roost testnet`, the demo, the bench and the
// tests: bound to loopback unless told otherwise, as nodes must be to reach each other
// here (node/network/dht.ts says why).
import createTestnet from 'hyperdht/testnet.js'

export interface Testnet {
  // host:port of each bootstrap node, as configs and --bootstrap take them.
  bootstrap: string[]
  destroy (): Promise<void>
}

export async function startTestnet (opts: { size?: number, host?: string, port?: number } = {}): Promise<Testnet> {
  const testnet = await createTestnet(opts.size ?? 3, { host: opts.host ?? '127.0.0.1', ...(opts.port ? { port: opts.port } : {}) })
  return {
    bootstrap: testnet.bootstrap.map((b) => `${b.host}:${b.port}`),
    destroy: () => testnet.destroy()
  }
}
