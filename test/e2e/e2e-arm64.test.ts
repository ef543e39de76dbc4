// The linux-arm64 artifact's JavaScript and aarch64 addons, started under qemu user-mode
// emulation with Debian's arm64 Node.js (this registry has no arm64 Bare binary), on a
// loopback testnet, and reached by key from this machine.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import test from 'ava'
import { buildArtifact } from '../../targets/artifact.ts'
import { BUNDLE_FILE, REPO_ROOT } from '../../targets/bundle.ts'
import { defaultConfig } from '../../targets/artifact.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { writeConfig } from '../../tools/harness/local-node.ts'
import { watchNode } from '../../tools/harness/node-process.ts'
import { roost } from '../helpers/cli.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { tmpDir } from '../helpers/tmp.ts'
import type { Inventory } from '../../tools/provision/layout.ts'

const sysroot = process.env.ROOST_ARM64_SYSROOT ?? path.join(REPO_ROOT, '.cache', 'arm64-sysroot')
const QEMU = 'qemu-aarch64-static'

test('the raspberry-pi-4b artifact starts under qemu-aarch64 and is reached by key', async (t) => {
  if (!fs.existsSync(path.join(sysroot, 'usr', 'bin', 'node'))) {
    t.fail(`no arm64 sysroot at ${sysroot}: run scripts/system-deps.sh (as root) first`)
    return
  }
  const work = tmpDir(t)
  const board = loadBoard('raspberry-pi-4b')
  const { outDir, manifest } = await buildArtifact({ board, runtime: 'node', outDir: path.join(work, 'artifact') })
  t.true(manifest.addons.length > 0)
  t.true(manifest.addons.every((a) => a.machine === 'aarch64'))

  const { bootstrap } = await startTestnet(t)
  const configFile = path.join(work, 'config.json')
  writeConfig(configFile, { ...defaultConfig(board), dataDir: path.join(work, 'storage'), bootstrap, roles: [] })
  const child = spawn(QEMU, ['-L', sysroot, '-E', `LD_LIBRARY_PATH=${path.join(sysroot, 'usr/lib/aarch64-linux-gnu')}`,
    path.join(sysroot, 'usr/bin/node'), path.join(outDir, BUNDLE_FILE), '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
  const node = watchNode(child)
  t.teardown(async () => { await node.stop(1000) })

  const ready = await node.waitFor('ready', 90_000)
  t.is(ready.host, 'linux-arm64')
  t.is(ready.runtime, 'node')
  const ping = await roost(['ping', String(ready.publicKey), '--count', '2', '--interval', '10', '--bootstrap', bootstrap[0]], { home: tmpDir(t), timeoutMs: 90_000 })
  t.is(ping.code, 0, ping.stderr)
  t.regex(ping.stdout, /^2 sent, 2 received/m)
  t.deepEqual(await node.stop(5000), { code: 0, signal: null })
})

test('every stripped aarch64 addon of the raspberry-pi-4b Node.js artifact loads under qemu-aarch64', async (t) => {
  if (!fs.existsSync(path.join(sysroot, 'usr', 'bin', 'node'))) {
    t.fail(`no arm64 sysroot at ${sysroot}: run scripts/system-deps.sh (as root) first`)
    return
  }
  const { outDir, manifest } = await buildArtifact({ board: loadBoard('raspberry-pi-4b'), runtime: 'node', outDir: path.join(tmpDir(t), 'artifact') })
  const names = manifest.addons.map((a) => a.name)
  t.true(names.includes('rocksdb-native') && names.includes('sodium-native'), names.join(', '))
  // Each package's bundle loads its prebuild (require-addon → process.dlopen) as the node
  // does; qemu shows the guest's own mappings in /proc/self/maps.
  const script = `for (const name of ${JSON.stringify(names)}) require(${JSON.stringify(outDir)} + '/node_modules/' + name)
    const maps = require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').map((line) => line.split(/\\s+/)[5]).filter(Boolean)
    console.log(JSON.stringify([...new Set(maps)].filter((file) => file.startsWith(${JSON.stringify(outDir + '/')})).sort()))`
  const child = spawn(QEMU, ['-L', sysroot, '-E', `LD_LIBRARY_PATH=${path.join(sysroot, 'usr/lib/aarch64-linux-gnu')}`,
    path.join(sysroot, 'usr/bin/node'), '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  t.is(code, 0, stderr)
  t.deepEqual(JSON.parse(stdout), manifest.addons.map((a) => path.join(outDir, a.file)).sort())
})

test('a provisioned raspberry-pi-4b device starts under qemu-aarch64 with its own identity and config and answers roost fleet status', async (t) => {
  if (!fs.existsSync(path.join(sysroot, 'usr', 'bin', 'node'))) {
    t.fail(`no arm64 sysroot at ${sysroot}: run scripts/system-deps.sh (as root) first`)
    return
  }
  const work = tmpDir(t)
  const operatorHome = tmpDir(t)
  const { bootstrap } = await startTestnet(t)
  const fleetFile = path.join(work, 'fleet.yaml')
  fs.writeFileSync(fleetFile, `fleet: lab\ndefaults:\n  bootstrap: [${bootstrap[0]}]\ndevices:\n  - name: pi\n    board: raspberry-pi-4b\n    roles: [storage]\n`)
  const out = path.join(work, 'out')
  // The Node.js flavour of the artifact: this registry has no arm64 Bare binary to run.
  const provisioned = await roost(['provision', '--fleet', fleetFile, '--out', out, '--runtime', 'node'], { home: operatorHome, timeoutMs: 120_000 })
  t.is(provisioned.code, 0, provisioned.stderr)
  const inventory = JSON.parse(fs.readFileSync(path.join(out, 'inventory.json'), 'utf8')) as Inventory
  const [pi] = inventory.devices
  t.is(pi.artifact, 'artifacts/raspberry-pi-4b-node')

  // As install.sh does on the device: the provisioned identity goes into the data folder.
  const dataDir = path.join(work, 'data')
  fs.mkdirSync(dataDir, { mode: 0o700 })
  fs.copyFileSync(path.join(out, pi.device, 'identity.json'), path.join(dataDir, 'identity.json'))
  fs.chmodSync(path.join(dataDir, 'identity.json'), 0o600)
  const child = spawn(QEMU, ['-L', sysroot, '-E', `LD_LIBRARY_PATH=${path.join(sysroot, 'usr/lib/aarch64-linux-gnu')}`,
    path.join(sysroot, 'usr/bin/node'), path.join(out, pi.artifact!, BUNDLE_FILE), '--config', path.join(out, pi.device, 'config.json'), '--storage', dataDir],
  { stdio: ['ignore', 'pipe', 'pipe'] })
  const node = watchNode(child)
  t.teardown(async () => { await node.stop(1000) })
  const ready = await node.waitFor('ready', 90_000)
  t.like(ready, { publicKey: pi.publicKey, identity: 'loaded', host: 'linux-arm64', runtime: 'node', boardId: 'raspberry-pi-4b', roles: ['storage'] })

  const status = await roost(['fleet', 'status', '--inventory', path.join(out, 'inventory.json'), '--json', '--timeout', '60', '--bootstrap', bootstrap[0]],
    { home: operatorHome, timeoutMs: 90_000 })
  t.is(status.code, 0, status.stderr)
  const [row] = (JSON.parse(status.stdout) as { devices: Array<{ name: string, state: string, health: { host: string, runtime: string, roles: string[] } }> }).devices
  t.like(row, { name: 'pi', state: 'up', health: { host: 'linux-arm64', runtime: 'node', roles: ['storage'] } })
  t.deepEqual(await node.stop(5000), { code: 0, signal: null })
})
