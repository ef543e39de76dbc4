// The inventory `roost provision` writes, read back by `roost fleet status`: a good one
// loads as written, and a missing or damaged one is refused naming the file, the line and
// the field, before anything is asked of the network.
import fs from 'node:fs'
import path from 'node:path'
import test, { type ExecutionContext } from 'ava'
import type { ConfigError } from '../../tools/config/errors.ts'
import type { Inventory } from '../../tools/provision/layout.ts'
import { readInventory } from '../../tools/provision/read-inventory.ts'
import { tmpDir } from '../helpers/tmp.ts'

const KEY_A = 'yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy'
const KEY_B = 'ybndrfg8ejkmcpqxot1uwisza345h769ybndrfg8ejkmcpqxot1u'

const inventory: Inventory = {
  version: 1,
  fleet: 'street',
  operatorKey: KEY_A,
  devices: [
    { name: 'attic', board: 'raspberry-pi-4b', host: 'linux-arm64', program: 'bare', publicKey: KEY_B, roles: ['storage'], artifact: 'artifacts/raspberry-pi-4b', device: 'devices/attic' },
    { name: 'router', board: 'tplink-archer-c7-v5', host: 'linux-mips', program: 'lua-agent', publicKey: null, roles: [], artifact: null, device: 'devices/router' }
  ]
}

function write (t: ExecutionContext, text: string): string {
  const file = path.join(tmpDir(t), 'inventory.json')
  fs.writeFileSync(file, text)
  return file
}

test('an inventory as provision writes it loads as written, Lua agent devices with no key', (t) => {
  t.deepEqual(readInventory(write(t, JSON.stringify(inventory, null, 2))), inventory)
})

test('fields a later provision adds are left alone', (t) => {
  const later = { ...inventory, createdAt: '2026-01-01', devices: inventory.devices.map((d) => ({ ...d, site: 'north' })) }
  t.deepEqual(readInventory(write(t, JSON.stringify(later, null, 2))), inventory)
})

test('a missing inventory is NOT_FOUND naming the file, with the command that writes one', (t) => {
  const file = path.join(tmpDir(t), 'inventory.json')
  const err = t.throws<ConfigError>(() => readInventory(file), { code: 'NOT_FOUND', message: `${file}: no such file or folder` })
  t.regex(err?.hint ?? '', /roost provision --fleet FILE --out DIR/)
})

test('an inventory that is not JSON is a syntax error with its line', (t) => {
  const file = write(t, '{\n  "version": 1,\n  "fleet": "street"\n  "devices": []\n}\n')
  t.throws(() => readInventory(file), { code: 'YAML_SYNTAX', message: new RegExp(`^${file}:\\d+: `) })
})

test('a device\'s bad public key names the file, the line and the field', (t) => {
  const text = JSON.stringify({ ...inventory, devices: [inventory.devices[0], { ...inventory.devices[1], publicKey: 'not-a-key' }] }, null, 2)
  const line = text.split('\n').findIndex((l) => l.includes('not-a-key')) + 1
  const file = write(t, text)
  t.throws(() => readInventory(file), {
    code: 'INVALID_FIELD',
    message: `${file}:${line}: devices.1.publicKey: expected a public key (52 z-base-32 characters), got "not-a-key"`
  })
})

test('an inventory of another version is refused', (t) => {
  const file = write(t, JSON.stringify({ ...inventory, version: 2 }, null, 2))
  t.throws(() => readInventory(file), { code: 'INVALID_FIELD', message: `${file}:2: version: expected 1, got 2` })
})

test('a device listed twice is refused at its second name', (t) => {
  const file = write(t, JSON.stringify({ ...inventory, devices: [inventory.devices[0], inventory.devices[0]] }, null, 2))
  t.throws(() => readInventory(file), { code: 'INVALID_FIELD', message: new RegExp(`^${file}:\\d+: devices\\.1\\.name: expected each device name once, got "attic"$`) })
})

test('a device without its name is refused naming the field', (t) => {
  const { name: _name, ...nameless } = inventory.devices[0]
  const file = write(t, JSON.stringify({ ...inventory, devices: [nameless] }, null, 2))
  t.throws(() => readInventory(file), { code: 'INVALID_FIELD', message: new RegExp(`^${file}:\\d+: devices\\.0\\.name: `) })
})

test('a Lua agent device provisioned from the fleet lists its node and device id; a bad id names its line', (t) => {
  const agent = { ...inventory.devices[1], artifact: 'artifacts/tplink-archer-c7-v5', agent: { node: 'attic', deviceId: '0123456789abcdef' } }
  const withAgent = { ...inventory, devices: [inventory.devices[0], agent] }
  t.deepEqual(readInventory(write(t, JSON.stringify(withAgent, null, 2))), withAgent)
  const text = JSON.stringify({ ...withAgent, devices: [inventory.devices[0], { ...agent, agent: { node: 'attic', deviceId: 'ABC' } }] }, null, 2)
  const line = text.split('\n').findIndex((l) => l.includes('"ABC"')) + 1
  const file = write(t, text)
  t.throws(() => readInventory(file), { code: 'INVALID_FIELD', message: new RegExp(`^${file}:${line}: devices\\.1\\.agent\\.deviceId: `) })
})
