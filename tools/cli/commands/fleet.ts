import { encodeKey } from '../../../node/identity/keys.ts'
import { RoostError } from '../../../node/errors.ts'
import { FLEET_CONCURRENCY, FLEET_TIMEOUT_MS, fleetStatus } from '../../client/fleet.ts'
import type { Inventory } from '../../provision/layout.ts'
import { readInventory } from '../../provision/read-inventory.ts'
import { defineCommand, intFlag, usageError } from '../args.ts'
import { CliError } from '../errors.ts'
import { fleetTable } from '../fleet-table.ts'
import { deviceFromFlags, NETWORK_FLAGS } from '../network-flags.ts'

export const fleet = defineCommand({
  name: 'fleet',
  summary: 'Ask every node of a provisioned fleet for its health over HyperDHT, as the fleet\'s operator.',
  details: '  fleet status --inventory DIR/inventory.json   a row per device: up, down (and why) or no node\n' +
    'Nodes answer only their operator key: by default this client\'s key, the one `roost provision` wrote\n' +
    'into every device\'s config. Exit code 0 when every node answered, 1 when some did not, 2 for a usage\n' +
    'mistake (a bad flag or inventory).',
  usage: 'roost fleet status --inventory FILE [--json] [--concurrency N] [--timeout SECONDS] [--bootstrap HOST:PORT]',
  positionals: 1,
  // 1 says some devices are down: a script must tell a mistake in its call from that.
  usageExitCode: 2,
  flags: {
    inventory: { type: 'string', value: 'FILE', help: 'the inventory.json `roost provision` wrote' },
    json: { type: 'boolean', help: 'print one JSON object: the fleet, the counts and a row per device' },
    concurrency: { type: 'string', value: 'N', help: `nodes asked at once (default: ${FLEET_CONCURRENCY})` },
    timeout: { type: 'string', value: 'SECONDS', help: `per node, to connect and answer (default: ${FLEET_TIMEOUT_MS / 1000})` },
    ...NETWORK_FLAGS
  }
}, async (flags, [sub]) => {
  if (sub !== 'status') throw usageError('fleet', sub ? `unknown subcommand "${sub}" (status)` : 'missing subcommand (status)')
  if (!flags.inventory) throw usageError('fleet', 'status needs --inventory FILE (the inventory.json `roost provision` wrote)')
  const concurrency = intFlag('fleet', 'concurrency', flags.concurrency, FLEET_CONCURRENCY, 1, 1024)
  const timeoutMs = intFlag('fleet', 'timeout', flags.timeout, FLEET_TIMEOUT_MS / 1000, 1, 3600) * 1000
  let inventory: Inventory
  try {
    inventory = readInventory(flags.inventory)
  } catch (err) {
    throw err instanceof RoostError ? CliError.BAD_FILE_FLAG('fleet', 'inventory', err) : err
  }
  const device = deviceFromFlags(flags)
  const askedAs = encodeKey(device.keyPair.publicKey)
  if (askedAs !== inventory.operatorKey) {
    process.stderr.write(`note: this client's key ${askedAs} is not fleet ${inventory.fleet}'s operator key ${inventory.operatorKey}: ` +
      'its nodes will refuse it (NOT_OPERATOR); pass --identity with the operator\'s identity folder\n')
  }
  const rows = await fleetStatus(device, inventory, { concurrency, timeoutMs })
  const count = (state: string): number => rows.filter((r) => r.state === state).length
  if (flags.json === true) {
    const counts = { up: count('up'), down: count('down'), refused: count('refused'), noNode: count('no-node') }
    process.stdout.write(JSON.stringify({ fleet: inventory.fleet, operatorKey: inventory.operatorKey, askedAs, ...counts, devices: rows }) + '\n')
  } else {
    process.stdout.write(fleetTable(rows))
  }
  return count('down') + count('refused') > 0 ? 1 : 0
})
