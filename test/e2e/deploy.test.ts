// roost deploy against a real OpenSSH server on a loopback port (throwaway host and client
// keys), into an unprivileged target folder (install.sh --prefix): what it copies and
// installs, that a second deploy copies nothing and changes nothing, and that the
// installed node runs with its provisioned identity and answers roost fleet status.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import test, { type ExecutionContext } from 'ava'
import { loadIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { watchNode } from '../../tools/harness/node-process.ts'
import { startSshd, type Sshd } from '../../tools/harness/sshd.ts'
import type { Inventory } from '../../tools/provision/layout.ts'
import { roost } from '../helpers/cli.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { tmpDir } from '../helpers/tmp.ts'

interface Setup { out: string, home: string, prefix: string, sshd: Sshd, bootstrap: string[], inventory: Inventory }

async function setup (t: ExecutionContext): Promise<Setup> {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const home = path.join(work, 'home')
  const out = path.join(work, 'out')
  const fleetFile = path.join(work, 'fleet.yaml')
  fs.writeFileSync(fleetFile, `fleet: home\ndefaults:\n  bootstrap: [${bootstrap[0]}]\ndevices:\n` +
    '  - { name: box, board: x86-64-mini-pc, roles: [storage], memory_budget_mb: 300 }\n  - { name: router, board: glinet-gl-mt6000 }\n')
  const provisioned = await roost(['provision', '--fleet', fleetFile, '--out', out], { home, timeoutMs: 120_000 })
  t.is(provisioned.code, 0, provisioned.stderr)
  const sshd = await startSshd()
  t.teardown(() => sshd.close())
  const inventory = JSON.parse(fs.readFileSync(path.join(out, 'inventory.json'), 'utf8')) as Inventory
  return { out, home, prefix: tmpDir(t), sshd, bootstrap, inventory }
}

function deploy (s: Setup, device: string, extra: string[] = []): ReturnType<typeof roost> {
  return roost(['deploy', '--ssh', `${s.sshd.user}@127.0.0.1`, '--ssh-port', String(s.sshd.port), '--ssh-key', s.sshd.clientKey,
    '--known-hosts', s.sshd.knownHosts, '--device', device, '--out', s.out, '--prefix', s.prefix, ...extra], { home: s.home, timeoutMs: 180_000 })
}

test.serial('deploy over SSH installs the artifact, the device\'s config, unit and identity; a second deploy copies and changes nothing', async (t) => {
  const s = await setup(t)
  const first = await deploy(s, 'box')
  t.is(first.code, 0, first.stderr + first.stdout)
  t.regex(first.stderr, /copying the x86-64-mini-pc artifact to /)
  t.regex(first.stdout, /^installed roost /m)
  const box = s.inventory.devices.find((d) => d.name === 'box')!
  const identity = path.join(s.prefix, 'var/lib/roost/identity.json')
  t.is(fs.statSync(identity).mode & 0o777, 0o600)
  t.is(encodeKey(loadIdentity(identity).publicKey), box.publicKey ?? 'none')
  t.deepEqual(JSON.parse(fs.readFileSync(path.join(s.prefix, 'opt/roost/config.json'), 'utf8')), JSON.parse(fs.readFileSync(path.join(s.out, 'devices/box/config.json'), 'utf8')))
  const unit = fs.readFileSync(path.join(s.prefix, 'etc/systemd/system/roost.service'), 'utf8').split('\n')
  t.true(unit.includes('MemoryMax=300M'), 'the device\'s own memory budget')
  t.false(fs.existsSync(path.join(s.prefix, '.roost-deploy/box/device/identity.json')), 'the staged identity is removed')
  const secret = String((JSON.parse(fs.readFileSync(identity, 'utf8')) as { secretKey: string }).secretKey)
  t.false((first.stdout + first.stderr).includes(secret.slice(0, 32)), 'a secret key was printed')

  const second = await deploy(s, 'box')
  t.is(second.code, 0, second.stderr + second.stdout)
  t.regex(second.stderr, /already has this x86-64-mini-pc artifact/)
  t.regex(second.stdout, /^nothing to change/m)
})

test.serial('the deployed node runs from the installed files with its provisioned identity and answers roost fleet status', async (t) => {
  const s = await setup(t)
  t.is((await deploy(s, 'box')).code, 0)
  // What the unit starts on the device, with the data folder moved under the prefix.
  const opt = path.join(s.prefix, 'opt/roost')
  const node = watchNode(spawn(path.join(opt, 'bin/bare'), [path.join(opt, 'roost-node.cjs'), '--config', path.join(opt, 'config.json'),
    '--storage', path.join(s.prefix, 'var/lib/roost')], { stdio: ['ignore', 'pipe', 'pipe'] }))
  t.teardown(async () => { await node.stop(1000) })
  const box = s.inventory.devices.find((d) => d.name === 'box')!
  t.like(await node.waitFor('ready', 30_000), { publicKey: box.publicKey, identity: 'loaded', roles: ['storage'] })

  const status = await roost(['fleet', 'status', '--inventory', path.join(s.out, 'inventory.json'), '--json', '--timeout', '5', '--bootstrap', s.bootstrap[0]], { home: s.home, timeoutMs: 60_000 })
  const rows = (JSON.parse(status.stdout) as { devices: Array<{ name: string, state: string }> }).devices
  t.like(rows.find((r) => r.name === 'box'), { state: 'up' })
  t.like(rows.find((r) => r.name === 'router'), { state: 'down' }, 'the router was provisioned but never installed')
})

test.serial('deploy refuses an OpenWrt device and says how to install it, and names an SSH failure', async (t) => {
  const s = await setup(t)
  const router = await deploy(s, 'router')
  t.is(router.code, 1)
  t.is(router.stderr.split('\n')[0], 'NOT_SYSTEMD: device "router" is a glinet-gl-mt6000, which does not run systemd: roost deploy installs with install.sh on Debian and Raspberry Pi OS')
  t.regex(router.stderr, /hint: for an OpenWrt router: roost package --device NAME/)
  const closed = await roost(['deploy', '--ssh', `${s.sshd.user}@127.0.0.1`, '--ssh-port', '1', '--ssh-key', s.sshd.clientKey,
    '--known-hosts', s.sshd.knownHosts, '--device', 'box', '--out', s.out, '--prefix', s.prefix], { home: s.home, timeoutMs: 60_000 })
  t.is(closed.code, 1)
  t.true(closed.stderr.startsWith(`SSH_FAILED: ssh ${s.sshd.user}@127.0.0.1: `), closed.stderr)
  t.regex(closed.stderr, /Connection refused/)
  t.deepEqual(fs.readdirSync(s.prefix), [], 'nothing installed')
})
