// A fleet's health end to end on the real things: nodes of the linux-x64 artifact on
// Bare whose config names the test client's key as operator, on a HyperDHT testnet, an
// inventory as `roost provision` writes it, and the real `roost fleet status`.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import test, { type ExecutionContext } from 'ava'
import crypto from 'hypercore-crypto'
import { BRIDGE_DEFAULTS, type NodeConfigFile, type Role } from '../../node/config/types.ts'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { defaultConfig } from '../../targets/artifact.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { buildLocal } from '../../tools/harness/local-node.ts'
import type { NodeProcess } from '../../tools/harness/node-process.ts'
import type { Inventory, InventoryDevice } from '../../tools/provision/layout.ts'
import { roost } from '../helpers/cli.ts'
import { startMosquitto } from '../helpers/mosquitto.ts'
import { launchNode } from '../helpers/nodes.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { tmpDir } from '../helpers/tmp.ts'

const board = loadBoard('x86-64-mini-pc')
const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-e2e-fleet-'))
const artifact = buildLocal(board, 'bare', path.join(buildDir, 'artifact'))
test.after.always(() => fs.rmSync(buildDir, { recursive: true, force: true }))

// Short, as the down device takes all of it; a node on loopback answers in well under 1 s.
const TIMEOUT_SECONDS = '4'
const VERSION = JSON.parse(fs.readFileSync('package.json', 'utf8')).version
// The board's storage budget, which a node reports its data folder against.
const BUDGET_BYTES = defaultConfig(board).storagePeer?.budgetBytes

interface Fleet { bootstrap: string[], work: string, operatorHome: string, operatorKey: string }

async function fleet (t: ExecutionContext): Promise<Fleet> {
  const { bootstrap } = await startTestnet(t)
  const operatorHome = tmpDir(t)
  const operatorKey = encodeKey(loadOrCreateIdentity(path.join(operatorHome, 'client')).keyPair.publicKey)
  return { bootstrap, work: tmpDir(t), operatorHome, operatorKey }
}

async function node (t: ExecutionContext, f: Fleet, name: string, config: Partial<NodeConfigFile> = {}): Promise<{ proc: NodeProcess, device: InventoryDevice }> {
  const { outDir } = await artifact
  const proc = launchNode(t, { artifactDir: outDir, runtime: 'bare', board, work: f.work, name, config: { bootstrap: f.bootstrap, operatorKey: f.operatorKey, ...config } })
  const ready = await proc.waitFor('ready', 30_000)
  return { proc, device: inventoryDevice(name, String(ready.publicKey), config.roles ?? []) }
}

function inventoryDevice (name: string, publicKey: string | null, roles: Role[]): InventoryDevice {
  return publicKey === null
    ? { name, board: 'tplink-archer-c7-v5', host: 'linux-mips', program: 'lua-agent', publicKey, roles, artifact: null, device: `devices/${name}` }
    : { name, board: board.id, host: board.host, program: 'bare', publicKey, roles, artifact: `artifacts/${board.id}`, device: `devices/${name}` }
}

// A node that was provisioned and never started: its key is served by no one.
const downDevice = (): InventoryDevice => inventoryDevice('shed', encodeKey(crypto.keyPair().publicKey), ['storage'])
const agentDevice = (): InventoryDevice => inventoryDevice('router', null, [])

function writeInventory (f: Fleet, devices: InventoryDevice[]): string {
  const inventory: Inventory = { version: 1, fleet: 'street', operatorKey: f.operatorKey, devices: [...devices].sort((a, b) => a.name.localeCompare(b.name)) }
  const file = path.join(f.work, 'inventory.json')
  fs.writeFileSync(file, JSON.stringify(inventory, null, 2) + '\n')
  return file
}

function fleetStatus (f: Fleet, file: string, opts: { home?: string, json?: boolean } = {}) {
  return roost(['fleet', 'status', '--inventory', file, ...(opts.json === false ? [] : ['--json']), '--timeout', TIMEOUT_SECONDS, '--bootstrap', f.bootstrap[0]],
    { home: opts.home ?? f.operatorHome })
}

test.serial('fleet status lists three nodes up with their figures, the one down with its reason and the agent as not asked, and exits 1', async (t) => {
  const f = await fleet(t)
  const broker = await startMosquitto(t)
  const bridge = { broker: broker.url, caFile: null, clientId: null, username: null, password: null, rules: [{ filter: 'meter/#', feed: 'meter', decoder: 'number' as const }], commandTopics: [], ...BRIDGE_DEFAULTS }
  const [attic, cellar, porch] = await Promise.all([
    node(t, f, 'attic', { roles: ['storage'] }),
    node(t, f, 'cellar', { roles: ['bridge'], bridge }),
    node(t, f, 'porch')
  ])
  await cellar.proc.waitFor('broker-connected', 20_000)
  const result = await fleetStatus(f, writeInventory(f, [attic.device, cellar.device, porch.device, downDevice(), agentDevice()]))
  t.is(result.code, 1, result.stderr)
  t.is(result.stderr, '')
  const report = JSON.parse(result.stdout)
  t.like(report, { fleet: 'street', operatorKey: f.operatorKey, askedAs: f.operatorKey, up: 3, down: 1, refused: 0, noNode: 1 })
  const row = (name: string) => report.devices.find((d: { name: string }) => d.name === name)
  t.deepEqual(report.devices.map((d: { name: string }) => d.name), ['attic', 'cellar', 'porch', 'router', 'shed'])
  for (const name of ['attic', 'cellar', 'porch']) {
    const { state, reason, health } = row(name)
    t.deepEqual([state, reason], ['up', null], name)
    t.like(health, { version: VERSION, boardId: board.id, host: 'linux-x64', runtime: 'bare', budgetBytes: BUDGET_BYTES }, name)
    t.true(health.uptimeMs > 0 && health.dataBytes > 0 && health.memory.rssBytes > 0 && health.memory.heapUsedBytes > 0, name)
    t.deepEqual(health.errors, [], name)
  }
  t.like(row('attic').health, { roles: ['storage'], coresKept: 0, feeds: null, broker: null })
  t.like(row('cellar').health, { roles: ['bridge'], coresKept: null, feeds: [{ name: 'meter', length: 0 }], broker: { connected: true, reconnects: 0, lastErrorCode: null } })
  t.like(row('porch').health, { roles: [], coresKept: null, feeds: null, broker: null })
  t.like(row('shed'), { state: 'down', health: null, reason: { code: 'UNREACHABLE' } })
  t.like(row('router'), { state: 'no-node', publicKey: null, reason: null, health: null })
})

test.serial('the table has a row per device, the down one with its reason in place of figures', async (t) => {
  const f = await fleet(t)
  const attic = await node(t, f, 'attic', { roles: ['storage'] })
  const result = await fleetStatus(f, writeInventory(f, [attic.device, downDevice(), agentDevice()]), { json: false })
  t.is(result.code, 1, result.stderr)
  const lines = result.stdout.trimEnd().split('\n')
  t.is(lines.length, 5, result.stdout)
  t.regex(lines[0], /^NAME +BOARD +STATE +UPTIME +VERSION +ROLES +MEMORY +STORAGE +FEEDS +BROKER +LAST ERROR$/)
  t.regex(lines[1], new RegExp(`^attic +x86-64-mini-pc +up +\\d+s +${VERSION.replace(/\./g, '\\.')} +storage +[\\d.]+ MiB +[\\d.]+ [KMG]iB / [\\d.]+ GiB +- +- +-$`))
  t.regex(lines[2], /^router +tplink-archer-c7-v5 +no node +Lua agent board: no node to ask/)
  t.regex(lines[3], /^shed +x86-64-mini-pc +down +UNREACHABLE: could not reach /)
  t.is(lines[4], '1 up, 1 down, 1 without a node (not asked)')
})

test.serial('a trusted key that is not the operator\'s is refused NOT_OPERATOR, and the node logs it once though asked twice', async (t) => {
  const f = await fleet(t)
  const householdHome = tmpDir(t)
  const householdKey = encodeKey(loadOrCreateIdentity(path.join(householdHome, 'client')).keyPair.publicKey)
  const attic = await node(t, f, 'attic', { trustedKeys: [householdKey] })
  const file = writeInventory(f, [attic.device])
  for (let i = 0; i < 2; i++) {
    const result = await fleetStatus(f, file, { home: householdHome })
    t.is(result.code, 1, result.stderr)
    t.regex(result.stderr, new RegExp(`^note: this client's key ${householdKey} is not fleet street's operator key ${f.operatorKey}`))
    t.like(JSON.parse(result.stdout).devices[0], { state: 'refused', health: null, reason: { code: 'NOT_OPERATOR', message: `only this node's operator key may ask for its health, not ${householdKey}` } })
  }
  const refusals = attic.proc.events.filter((e) => e.event === 'refused' && e.request === 'health')
  t.deepEqual(refusals.map((e) => [e.peer, e.reason]), [[householdKey, 'not the operator key']])
})

test.serial('a trusted key still gets the node\'s status, and the operator its health', async (t) => {
  const f = await fleet(t)
  const householdHome = tmpDir(t)
  const householdKey = encodeKey(loadOrCreateIdentity(path.join(householdHome, 'client')).keyPair.publicKey)
  const attic = await node(t, f, 'attic', { trustedKeys: [householdKey], roles: ['storage'] })
  const [status, health] = await Promise.all([
    roost(['status', '--peer', String(attic.device.publicKey), '--json', '--bootstrap', f.bootstrap[0]], { home: householdHome }),
    fleetStatus(f, writeInventory(f, [attic.device]))
  ])
  t.is(status.code, 0, status.stderr)
  t.like(JSON.parse(status.stdout), { publicKey: attic.device.publicKey, roles: ['storage'], boardId: board.id })
  t.is(health.code, 0, health.stderr)
  t.like(JSON.parse(health.stdout), { up: 1, down: 0 })
})

test('a call without --inventory, or with an inventory that cannot be read, exits 2, not the 1 of a device down', async (t) => {
  const home = tmpDir(t)
  const missing = await roost(['fleet', 'status'], { home })
  t.is(missing.code, 2)
  t.is(missing.stderr.split('\n')[0], 'USAGE: roost fleet: status needs --inventory FILE (the inventory.json `roost provision` wrote)')
  const file = path.join(home, 'inventory.json')
  fs.writeFileSync(file, JSON.stringify({ version: 1, fleet: 'street', operatorKey: 'nope', devices: [] }, null, 2))
  const damaged = await roost(['fleet', 'status', '--inventory', file], { home })
  t.is(damaged.code, 2)
  t.is(damaged.stderr.split('\n')[0], `USAGE: roost fleet: --inventory: ${file}:4: operatorKey: expected a public key (52 z-base-32 characters), got "nope"`)
})
