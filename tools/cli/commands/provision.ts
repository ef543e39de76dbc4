import path from 'node:path'
import { encodeKey } from '../../../node/identity/keys.ts'
import { loadFleet } from '../../config/fleet.ts'
import { provision as provisionFleet } from '../../provision/provision.ts'
import { DEFAULT_PROVISION_DIR, type Inventory } from '../../provision/layout.ts'
import { defineCommand, usageError } from '../args.ts'
import { deviceFromFlags, NETWORK_FLAGS } from '../network-flags.ts'
import { runtimeFlag } from './build.ts'

export const provision = defineCommand({
  name: 'provision',
  summary: 'Give every device of a fleet file its own identity, node config and artifact, and list their keys.',
  details: 'Writes DIR/devices/NAME/ (identity.json, mode 0600, and config.json), one artifact per board in\n' +
    'DIR/artifacts/, and DIR/inventory.json. A Lua agent router gets a device id and key (agent-key.json)\n' +
    'and its /etc/config/roost-agent (roost-agent.uci, mode 0600), and its node\'s config takes it, with\n' +
    'the node\'s copy of the key in DIR/devices/NODE/lan-keys/. Run again after editing the fleet file:\n' +
    'only what changed is written, and no device gets a new key unless --rotate names it. The fleet\'s\n' +
    'operator key is the file\'s operator_key, or this client\'s key (`roost id`).',
  usage: 'roost provision --fleet FILE [--out DIR] [--rotate NAME] [--force] [--runtime bare|node] [--json]',
  flags: {
    fleet: { type: 'string', value: 'FILE', help: 'fleet file (YAML): fleet name, defaults and devices' },
    out: { type: 'string', value: 'DIR', help: `provisioning folder: new, empty, or this fleet's (default: ${DEFAULT_PROVISION_DIR})` },
    rotate: { type: 'string', multiple: true, value: 'NAME', help: 'give this device a new identity (its old key stops working)' },
    force: { type: 'boolean', help: 'write into a folder that holds another fleet or other files' },
    json: { type: 'boolean', help: 'print the inventory as JSON instead of a table' },
    runtime: { type: 'string', value: 'bare|node', help: 'JavaScript runtime of the artifacts (default: bare; node for devices that run Node.js)' },
    identity: { ...NETWORK_FLAGS.identity, help: 'client identity whose key is the operator key when the file names none (default: ~/.local/share/roost/client)' }
  }
}, async (flags) => {
  if (flags.fleet === undefined) throw usageError('provision', 'missing --fleet FILE')
  const fleet = loadFleet(flags.fleet)
  const operatorKey = fleet.operatorKey ?? encodeKey(deviceFromFlags(flags).keyPair.publicKey)
  const { inventory, written } = await provisionFleet({
    fleet,
    outDir: flags.out ?? DEFAULT_PROVISION_DIR,
    operatorKey,
    rotate: flags.rotate,
    force: flags.force,
    runtime: runtimeFlag('provision', flags.runtime),
    onProgress: (line) => process.stderr.write(line + '\n')
  })
  if (flags.json === true) {
    process.stdout.write(JSON.stringify(inventory, null, 2) + '\n')
  } else {
    process.stdout.write(inventoryTable(inventory))
    process.stdout.write(`\n${inventory.devices.length} devices of fleet ${inventory.fleet} in ${path.resolve(flags.out ?? DEFAULT_PROVISION_DIR)}; ` +
      `${written.length === 0 ? 'nothing changed' : `${written.length} files written`}\n`)
  }
  return 0
})

// A Lua agent router has no public key: its row names its device id (never its key) and
// the node that takes its readings.
export function inventoryTable (inventory: Inventory): string {
  const header = ['NAME', 'BOARD', 'HOST', 'PUBLIC KEY', 'ROLES']
  const rows = inventory.devices.map((d) => [d.name, d.board, d.host,
    d.publicKey ?? (d.agent ? `Lua agent, id ${d.agent.deviceId}` : '(Lua agent: no node)'),
    d.agent ? `agent of ${d.agent.node}` : d.roles.join(',') || '-'])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  return [header, ...rows].map((cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n'
}
