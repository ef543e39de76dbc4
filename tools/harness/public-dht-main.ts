// The public DHT of a network lab (netlab.ts), run inside its public namespace:
// `node --import tsx public-dht-main.ts HOST [HOST...]` starts a bootstrap node on the
// first address and a persistent, unfirewalled DHT node on each other one, all on
// HyperDHT's port, as the public bootstrap nodes are. Logs one JSON line when ready
// (`public-dht-ready` with the bootstrap address); stops on SIGTERM or SIGINT.
import HyperDHT from 'hyperdht'

const PORT = 49737

function log (event: string, fields: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), event, ...fields }) + '\n')
}

async function main (hosts: string[]): Promise<void> {
  const [first, ...others] = hosts
  const nodes: HyperDHT[] = []
  const boot = HyperDHT.bootstrapper(PORT, first, { host: first })
  await boot.ready()
  nodes.push(boot)
  const bootstrap = [{ host: first, port: PORT }]
  for (const host of others) {
    const node = new HyperDHT({ bootstrap, host, port: PORT, anyPort: false, firewalled: false, ephemeral: false })
    await node.fullyBootstrapped()
    nodes.push(node)
  }
  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    for (const node of nodes) await node.destroy({ force: true })
    process.exit(0)
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  log('public-dht-ready', { bootstrap: `${first}:${PORT}`, nodes: hosts.length })
}

main(process.argv.slice(2)).catch((err: Error) => {
  log('public-dht-failed', { reason: err.message })
  process.exit(1)
})
