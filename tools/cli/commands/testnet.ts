import { defineCommand, intFlag } from '../args.ts'
import { startTestnet } from '../../harness/testnet.ts'

export const testnet = defineCommand({
  name: 'testnet',
  summary: 'Run a local HyperDHT testnet on loopback and print its bootstrap address (host:port).',
  details: 'Stops on Ctrl-C. Only machines that can reach that address can use it.',
  usage: 'roost testnet [--port PORT] [--size N]',
  flags: {
    port: { type: 'string', value: 'PORT', help: 'port of the first (bootstrap) node (default: any free port)' },
    size: { type: 'string', value: 'N', help: 'number of DHT nodes (default: 3)' },
    host: { type: 'string', value: 'ADDRESS', help: 'address to bind (default: 127.0.0.1)' }
  }
}, async (flags) => {
  const size = intFlag('testnet', 'size', flags.size, 3, 1, 64)
  const port = intFlag('testnet', 'port', flags.port, 0, 0, 65535)
  const net = await startTestnet({ size, host: flags.host ?? '127.0.0.1', port })
  const [bootstrap] = net.bootstrap
  process.stdout.write(`${bootstrap}\n`)
  process.stderr.write(`testnet of ${size} nodes running; use --bootstrap ${bootstrap}; Ctrl-C stops it\n`)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await net.destroy()
  return 0
})
