// roost provision through the real CLI: a mixed fleet, idempotence by the bytes and times
// of every file, --rotate, a device added later, a run killed midway, and the folders it
// refuses. Artifacts are built for real (one per board).
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import test from 'ava'
import { loadIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { checkNodeConfig } from '../../node/config/check.ts'
import { REPO_ROOT } from '../../targets/bundle.ts'
import { deviceAt } from '../../tools/client/device.ts'
import { roost } from '../helpers/cli.ts'
import { folderSnapshot, provisionSetup, readInventoryJson } from '../helpers/provision.ts'
import { tmpDir } from '../helpers/tmp.ts'
import { makeBootImage, readImageFile, TRIXIE } from '../helpers/boot-partition.ts'

const OPERATOR = 'yapb8kntdzp3nmnzgj7f57u3d5yxsnd98kzmjkw6wcdmdxu3ey7o'
const TRUSTED = 'pn98rpqjai7xydn8u7ymdbuxfm9yjhhmoehh3t17xcyargseqkdo'

// Twenty devices over every board: the Bare boards share an artifact each, the two
// routers run the Lua agent, sending to device-05 (an x86-64 mini PC with lan-ingest).
const MIXED_BOARDS = ['raspberry-pi-3b', 'raspberry-pi-4b', 'raspberry-pi-5', 'raspberry-pi-zero-2-w', 'x86-64-mini-pc',
  'glinet-gl-mt6000', 'bananapi-bpi-r4', 'tplink-archer-c7-v5', 'linksys-wrt3200acm']
const BARE_BOARDS = MIXED_BOARDS.filter((b) => !['tplink-archer-c7-v5', 'linksys-wrt3200acm'].includes(b))

function fleetYaml (name: string, devices: Array<{ name: string, board: string, extra?: string }>, head: string[] = []): string {
  return [`fleet: ${name}`, ...head, 'defaults:', `  trusted_keys: [${TRUSTED}]`, 'devices:',
    ...devices.flatMap((d) => [`  - name: ${d.name}`, `    board: ${d.board}`, ...(d.extra ? [`    ${d.extra}`] : [])])].join('\n') + '\n'
}

function mixedFleet (count: number): Array<{ name: string, board: string, extra?: string }> {
  return Array.from({ length: count }, (_, i) => {
    const board = MIXED_BOARDS[i % MIXED_BOARDS.length]
    const extra = i === 4
      ? 'roles: [lan-ingest]\n    lan_ingest: {}\n    address: 192.168.1.5'
      : BARE_BOARDS.includes(board) ? undefined : 'agent: { node: device-05, command: [router/load=cat /proc/loadavg] }'
    return { name: `device-${String(i + 1).padStart(2, '0')}`, board, extra }
  })
}

const setup = provisionSetup
const inventory = readInventoryJson
const snapshot = folderSnapshot

test('a board\'s shared artifact carries TLS when one of its devices reads an mqtts:// broker, and only then', async (t) => {
  const bridge = (url: string): string => `bridge: { broker: ${url}, rules: [{ filter: home/#, feed: home, decoder: json }] }`
  const s = setup(t, fleetYaml('tls-mix', [
    { name: 'plain-pi', board: 'raspberry-pi-4b', extra: bridge('mqtt://127.0.0.1:1883') },
    { name: 'tls-pi', board: 'raspberry-pi-4b', extra: bridge('mqtts://broker.lan:8883') },
    { name: 'zero', board: 'raspberry-pi-zero-2-w', extra: bridge('mqtt://127.0.0.1:1883') }
  ]))
  const result = await s.run()
  t.is(result.code, 0, result.stderr)
  const manifest = (board: string): { tls: boolean, files: Array<{ path: string }> } =>
    JSON.parse(fs.readFileSync(path.join(s.out, 'artifacts', board, 'manifest.json'), 'utf8'))
  t.true(manifest('raspberry-pi-4b').tls)
  t.true(manifest('raspberry-pi-4b').files.some((f) => f.path.startsWith('node_modules/bare-tls/')))
  t.false(manifest('raspberry-pi-zero-2-w').tls)
  t.false(manifest('raspberry-pi-zero-2-w').files.some((f) => f.path.startsWith('node_modules/bare-tls/')))
})

test.serial('a 20-device fleet of mixed boards: a key each, one artifact per board, the operator key in every config', async (t) => {
  const s = setup(t, fleetYaml('home-lab', mixedFleet(20)))
  const result = await s.run()
  t.is(result.code, 0, result.stderr)
  const cliKey = encodeKey(deviceAt(path.join(s.home, 'client')).keyPair.publicKey)
  const inv = inventory(s.out)
  t.like(inv, { version: 1, fleet: 'home-lab', operatorKey: cliKey })
  t.deepEqual(inv.devices.map((d) => d.name), mixedFleet(20).map((d) => d.name))
  t.deepEqual(fs.readdirSync(path.join(s.out, 'artifacts')).sort(), [...MIXED_BOARDS].sort())
  const secrets: string[] = []
  for (const device of inv.devices) {
    if (device.program === 'lua-agent') {
      t.is(device.publicKey, null)
      t.is(device.artifact, `artifacts/${device.board}`)
      t.is(device.agent?.node, 'device-05')
      t.false(fs.existsSync(path.join(s.out, device.device, 'identity.json')), `${device.name}: a Lua agent has no node identity`)
      secrets.push(String((JSON.parse(fs.readFileSync(path.join(s.out, device.device, 'agent-key.json'), 'utf8')) as { key: string }).key))
      continue
    }
    const identityFile = path.join(s.out, device.device, 'identity.json')
    t.is(fs.statSync(identityFile).mode & 0o777, 0o600, device.name)
    t.is(encodeKey(loadIdentity(identityFile).publicKey), device.publicKey ?? 'none')
    secrets.push(String((JSON.parse(fs.readFileSync(identityFile, 'utf8')) as { secretKey: string }).secretKey))
    const config = checkNodeConfig(JSON.parse(fs.readFileSync(path.join(s.out, device.device, 'config.json'), 'utf8')))
    t.is(config.operatorKey, cliKey, device.name)
    t.deepEqual(config.trustedKeys, [TRUSTED], device.name)
    t.is(config.boardId, device.board)
    t.is(device.artifact, `artifacts/${device.board}`)
    // A relay serves the fleet's other nodes.
    const others = inv.devices.filter((d) => d.publicKey !== null && d.name !== device.name).map((d) => d.publicKey)
    t.deepEqual(config.relay.keys, config.roles.includes('relay') ? others : [], device.name)
  }
  t.true(inv.devices.some((d) => d.roles.includes('relay')))
  t.is(new Set(inv.devices.map((d) => d.publicKey).filter(Boolean)).size, 16, 'every node its own key')
  // A progress line per device; the table with every key; no secret anywhere in the output.
  for (const device of inv.devices) {
    t.regex(result.stderr, new RegExp(`\\] ${device.name} `), device.name)
    t.true(result.stdout.includes(`${device.name} `), device.name)
    if (device.publicKey) t.true(result.stdout.includes(device.publicKey), device.name)
  }
  for (const secret of secrets) {
    t.false(result.stdout.includes(secret.slice(0, 32)) || result.stderr.includes(secret.slice(0, 32)), 'a secret key was printed')
  }
})

test.serial('a second run over the same fleet writes no file and says nothing changed', async (t) => {
  const s = setup(t, fleetYaml('home', [{ name: 'a', board: 'raspberry-pi-4b' }, { name: 'b', board: 'x86-64-mini-pc', extra: 'roles: [lan-ingest]\n    lan_ingest: { host: 192.168.1.2 }' },
    { name: 'c', board: 'tplink-archer-c7-v5', extra: 'agent: { node: b, command: [router/load=cat /proc/loadavg] }' }]))
  t.is((await s.run()).code, 0)
  const before = snapshot(s.out)
  const again = await s.run()
  t.is(again.code, 0, again.stderr)
  t.deepEqual(snapshot(s.out), before)
  t.regex(again.stdout, /; nothing changed\n$/)
  t.regex(again.stderr, /artifact unchanged/)
})

test.serial('--rotate gives one device a new key and keeps every other', async (t) => {
  const s = setup(t, fleetYaml('home', [{ name: 'a', board: 'raspberry-pi-4b' }, { name: 'b', board: 'raspberry-pi-4b' }]))
  t.is((await s.run()).code, 0)
  const first = inventory(s.out)
  const rotated = await s.run('--rotate', 'b')
  t.is(rotated.code, 0, rotated.stderr)
  const second = inventory(s.out)
  t.is(second.devices[0].publicKey, first.devices[0].publicKey)
  t.not(second.devices[1].publicKey, first.devices[1].publicKey)
  t.is(encodeKey(loadIdentity(path.join(s.out, 'devices', 'b', 'identity.json')).publicKey), second.devices[1].publicKey ?? 'none')
  t.regex(rotated.stderr, /\] b +raspberry-pi-4b +new key \(rotated\)/)
  const again = await s.run()
  t.is(inventory(s.out).devices[1].publicKey, second.devices[1].publicKey, 'a later run without --rotate keeps the new key')
  t.regex(again.stdout, /nothing changed/)
})

test.serial('--rotate of a device the fleet does not have is refused, naming the devices, and writes nothing', async (t) => {
  const s = setup(t, fleetYaml('home', [{ name: 'a', board: 'raspberry-pi-4b' }]))
  const result = await s.run('--rotate', 'kitchen')
  t.is(result.code, 1)
  t.is(result.stderr, 'NOT_IN_FLEET: no device named "kitchen" in the fleet (devices: a)\nhint: use a name from the fleet file\n')
  t.false(fs.existsSync(s.out))
})

test.serial('a device added to the fleet is the only one provisioned on the next run', async (t) => {
  const devices = [{ name: 'a', board: 'raspberry-pi-4b' }, { name: 'b', board: 'raspberry-pi-5' }]
  const s = setup(t, fleetYaml('home', devices))
  t.is((await s.run()).code, 0)
  const before = snapshot(s.out)
  fs.writeFileSync(s.fleetFile, fleetYaml('home', [...devices, { name: 'c', board: 'raspberry-pi-4b' }]))
  const result = await s.run()
  t.is(result.code, 0, result.stderr)
  const after = snapshot(s.out)
  const changed = Object.keys(after).filter((f) => after[f] !== before[f]).sort()
  t.deepEqual(changed, ['devices/c/config.json', 'devices/c/identity.json', 'devices/c/roost.service', 'inventory.json'])
  t.is(inventory(s.out).devices.length, 3)
})

test.serial('a run killed midway leaves no device with a partial identity, and the next run completes it with the same keys', async (t) => {
  const count = 200
  const s = setup(t, fleetYaml('big', Array.from({ length: count }, (_, i) => ({ name: `n${String(i).padStart(3, '0')}`, board: 'raspberry-pi-4b' }))))
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'roost.js'), 'provision', '--fleet', s.fleetFile, '--out', s.out],
    { env: { ...process.env, ROOST_HOME: s.home }, stdio: ['ignore', 'ignore', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  await new Promise<void>((resolve, reject) => {
    let seen = ''
    const timer = setTimeout(() => reject(new Error(`no progress line [20/${count}] within 120 s: ${seen.slice(-500)}`)), 120_000)
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      if (seen.includes(`[20/${count}]`)) {
        child.kill('SIGKILL')
        clearTimeout(timer)
        resolve()
      }
    })
  })
  await new Promise((resolve) => child.once('close', resolve))
  // Identities come first (a relay's config names the fleet's other nodes), so the kill
  // finds every identity whole or absent, and configs written for some devices only.
  const keys = new Map<string, string>()
  let unconfigured = 0
  for (let i = 0; i < count; i++) {
    const name = `n${String(i).padStart(3, '0')}`
    const file = path.join(s.out, 'devices', name, 'identity.json')
    if (fs.existsSync(file)) keys.set(name, encodeKey(loadIdentity(file).publicKey))
    if (!fs.existsSync(path.join(s.out, 'devices', name, 'config.json'))) unconfigured++
  }
  t.true(keys.size >= 20, `${keys.size} devices had an identity when the run was killed`)
  t.true(unconfigured > 0, 'the run was killed before it had provisioned every device')
  t.false(fs.existsSync(path.join(s.out, 'inventory.json')), 'no inventory from a run that did not finish')

  const result = await s.run()
  t.is(result.code, 0, result.stderr)
  const inv = inventory(s.out)
  t.is(inv.devices.length, count)
  for (const [name, key] of keys) t.is(inv.devices.find((d) => d.name === name)?.publicKey, key, name)
  const leftovers = fs.readdirSync(path.join(s.out, 'devices'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'))
  t.deepEqual(leftovers, [])
})

test.serial('a folder holding another fleet is refused unless --force; a folder of other files too', async (t) => {
  const s = setup(t, fleetYaml('home', [{ name: 'a', board: 'raspberry-pi-4b' }]))
  t.is((await s.run()).code, 0)
  const keyBefore = inventory(s.out).devices[0].publicKey
  fs.writeFileSync(s.fleetFile, fleetYaml('office', [{ name: 'a', board: 'raspberry-pi-4b' }]))
  const refused = await s.run()
  t.is(refused.code, 1)
  t.is(refused.stderr.split('\n')[0], `FOREIGN_FLEET: ${s.out} holds the keys of fleet "home", not "office"`)
  t.is(inventory(s.out).fleet, 'home', 'nothing of the other fleet written')
  const forced = await s.run('--force')
  t.is(forced.code, 0, forced.stderr)
  t.like(inventory(s.out), { fleet: 'office' })
  t.is(inventory(s.out).devices[0].publicKey, keyBefore, 'a device of the same name keeps its key')

  const other = tmpDir(t)
  fs.writeFileSync(path.join(other, 'notes.txt'), 'mine\n')
  const notFleet = await roost(['provision', '--fleet', s.fleetFile, '--out', other], { home: s.home })
  t.is(notFleet.stderr.split('\n')[0], `NOT_A_FLEET_FOLDER: ${other} is not empty and holds no provisioned fleet (no fleet.json)`)
})

test.serial('the operator key of the fleet file goes into every device\'s config instead of the CLI\'s', async (t) => {
  const s = setup(t, fleetYaml('home', [{ name: 'a', board: 'raspberry-pi-4b' }], [`operator_key: ${OPERATOR}`]))
  t.is((await s.run()).code, 0)
  t.is(inventory(s.out).operatorKey, OPERATOR)
  t.is((JSON.parse(fs.readFileSync(path.join(s.out, 'devices', 'a', 'config.json'), 'utf8')) as { operatorKey: string }).operatorKey, OPERATOR)
})

test.serial('a fleet file with several problems is refused with one line each and changes nothing', async (t) => {
  const s = setup(t, 'fleet: home\ndevices:\n  - { name: a, board: raspberry-pi-9 }\n  - { name: a, board: raspberry-pi-4b, memory_budget_mb: 4096 }\n')
  const result = await s.run()
  t.is(result.code, 1)
  const lines = result.stderr.trimEnd().split('\n')
  t.is(lines[0], `INVALID_FILE: ${s.fleetFile}: 3 problems`)
  t.true(lines.some((l) => l.startsWith(`${s.fleetFile}:3: devices.0.board: unknown board "raspberry-pi-9"`)), result.stderr)
  t.true(lines.includes(`${s.fleetFile}:4: devices.1.name: expected each device name once; devices.0 is also "a"`), result.stderr)
  t.true(lines.includes(`${s.fleetFile}:4: devices.1.memory_budget_mb: expected less than the RAM of raspberry-pi-4b (1024 MB), got 4096`), result.stderr)
  t.is(lines.at(-1), 'hint: fix each line above; roost checks the whole file again')
  t.false(fs.existsSync(s.out))
})

test.serial('a device that roost provision wrote flashes onto a Raspberry Pi OS image with its own key and unit', async (t) => {
  const s = setup(t, fleetYaml('home', [{ name: 'kitchen', board: 'raspberry-pi-4b', extra: 'memory_budget_mb: 100' }, { name: 'closet', board: 'x86-64-mini-pc' }]))
  t.is((await s.run()).code, 0)
  const image = makeBootImage(t, TRIXIE)
  const flashed = await roost(['flash', '--device', 'kitchen', '--boot', image, '--out', s.out], { home: s.home, timeoutMs: 120_000 })
  t.is(flashed.code, 0, flashed.stderr)
  const identity = JSON.parse(readImageFile(image, 'roost/identity.json')) as { publicKey: string }
  t.is(identity.publicKey, inventory(s.out).devices.find((d) => d.name === 'kitchen')?.publicKey ?? 'none')
  t.true(readImageFile(image, 'roost/roost.service').split('\n').includes('MemoryMax=100M'), 'the device\'s own memory budget')
  t.regex(readImageFile(image, 'roost/first-boot.sh'), /--unit "\$here\/roost\.service"/)
  const notPi = await roost(['flash', '--device', 'closet', '--boot', image, '--out', s.out], { home: s.home })
  t.is(notPi.stderr.split('\n')[0], 'NOT_RASPBERRY_PI: device "closet" is a x86-64-mini-pc running Debian: roost flash writes Raspberry Pi OS boot partitions only')
})

test.serial('roost package makes a provisioned router its own .ipk, mode 0600, with its identity; unchanged on a second run', async (t) => {
  const s = setup(t, fleetYaml('home', [{ name: 'router', board: 'glinet-gl-mt6000' }, { name: 'pi', board: 'raspberry-pi-4b' }]))
  t.is((await s.run()).code, 0)
  const made = await roost(['package', '--device', 'router', '--out', s.out], { home: s.home, timeoutMs: 120_000 })
  t.is(made.code, 0, made.stderr)
  const [file] = fs.readdirSync(path.join(s.out, 'packages', 'router'))
  t.regex(file, /^roost_.*_aarch64_cortex-a53\.ipk$/)
  const ipk = path.join(s.out, 'packages', 'router', file)
  t.is(fs.statSync(ipk).mode & 0o777, 0o600)
  const unpacked = tmpDir(t)
  execFileSync('tar', ['-xzf', ipk, '-C', unpacked])
  execFileSync('tar', ['-xzf', path.join(unpacked, 'data.tar.gz'), '-C', unpacked])
  const identities = fs.readdirSync(unpacked, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('identity.json'))
  t.is(identities.length, 1, identities.join(', '))
  t.is(encodeKey(loadIdentity(path.join(unpacked, identities[0])).publicKey), inventory(s.out).devices.find((d) => d.name === 'router')?.publicKey ?? 'none')
  const again = await roost(['package', '--device', 'router', '--out', s.out], { home: s.home, timeoutMs: 120_000 })
  t.regex(again.stdout, /^unchanged: /)
  const pi = await roost(['package', '--device', 'pi', '--out', s.out], { home: s.home })
  t.is(pi.stderr.split('\n')[0], 'NOT_OPENWRT: device "pi" is a raspberry-pi-4b, not an OpenWrt router: roost package makes OpenWrt packages only')
})
