import createTestnet from 'hyperdht/testnet.js'
import { intFlag, stringFlag, type CommandSpec, type ParsedFlags } from '../args.ts'

export const spec: CommandSpec = {
  name: 'testnet',
  summary: 'Run a local HyperDHT testnet on loopback and print its bootstrap address (host:port)\n' +
    'on stdout. Stops on Ctrl-C. Only machines that can reach that address can use it.',
  usage: 'roost testnet [--port PORT] [--size N]',
  flags: {
    port: { type: 'string', value: 'PORT', help: 'port of the first (bootstrap) node (default: any free port)' },
    size: { type: 'string', value: 'N', help: 'number of DHT nodes (default: 3)' },
    host: { type: 'string', value: 'ADDRESS', help: 'address to bind (default: 127.0.0.1)' }
  }
}

export async function run (flags: ParsedFlags): Promise<number> {
  const size = intFlag('testnet', flags, 'size', 3, 1, 64)
  const port = intFlag('testnet', flags, 'port', 0, 0, 65535)
  const testnet = await createTestnet(size, { host: stringFlag(flags, 'host') ?? '127.0.0.1', port })
  const { host, port: bound } = testnet.bootstrap[0]
  process.stdout.write(`${host}:${bound}\n`)
  process.stderr.write(`testnet of ${size} nodes running; use --bootstrap ${host}:${bound}; Ctrl-C stops it\n`)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await testnet.destroy()
  return 0
}
