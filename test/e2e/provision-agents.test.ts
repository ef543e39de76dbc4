// Lua agent routers provisioned from a fleet file, through the real CLI: a node with
// lan-ingest and a TP-Link router running the agent. The provisioned node (installed with
// its artifact's install.sh --prefix, started from the artifact on Bare) and the
// provisioned agent (the artifact's Lua file under the real lua5.3, with its provisioned
// UCI config) carry a reading from a real Mosquitto into the node's feed. Idempotence by
// the bytes and times of every file; an agent added, rotated and removed; and the install
// paths: deploy's plan for a router, its refusal of a host without opkg, and the node's
// agent keys through deploy and roost package.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import test from 'ava'
import { checkNodeConfig } from '../../node/config/check.ts'
import { KEEP_EVERY_READING } from '../../tools/harness/demo-broker.ts'
import { freeUdpPort } from '../../tools/harness/lan-agent.ts'
import { watchNode } from '../../tools/harness/node-process.ts'
import { startSshd } from '../../tools/harness/sshd.ts'
import { makeBootFolder, TRIXIE } from '../helpers/boot-partition.ts'
import { roost } from '../helpers/cli.ts'
import { readFeed } from '../helpers/feeds.ts'
import { changedFiles, folderSnapshot, provisionSetup, readInventoryJson } from '../helpers/provision.ts'
import { startAgent } from '../helpers/lua-agent.ts'
import { publish, startMosquitto } from '../helpers/mosquitto.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { tmpDir } from '../helpers/tmp.ts'

const setup = provisionSetup

interface FleetOptions { bootstrap?: string, port?: number, broker?: string, queue?: string, hubBoard?: string, agents?: string[] }

// One node (hub) with lan-ingest listening on 127.0.0.1, and its agents: attic reads the
// broker's home/# into feed "climate".
function fleetYaml (o: FleetOptions = {}): string {
  const agents = o.agents ?? ['attic']
  return [
    'fleet: home',
    ...(o.bootstrap ? ['defaults:', `  bootstrap: [${o.bootstrap}]`] : []),
    'devices:',
    '  - name: hub',
    `    board: ${o.hubBoard ?? 'x86-64-mini-pc'}`,
    '    roles: [lan-ingest]',
    '    address: 127.0.0.1',
    `    lan_ingest: { port: ${o.port ?? 9393}, host: 127.0.0.1 }`,
    ...agents.flatMap((name) => [
      `  - name: ${name}`,
      '    board: tplink-archer-c7-v5',
      '    agent:',
      '      node: hub',
      `      broker: ${o.broker ?? 'mqtt://127.0.0.1:1883'}`,
      '      subscribe: [home/#]',
      `      queue: ${o.queue ?? '/etc/roost/queue'}${name === 'attic' ? '' : `-${name}`}`,
      '      interval: 3600',
      '      stats_interval: 1',
      '      rules: [{ filter: home/#, feed: climate, decoder: number }]'
    ])
  ].join('\n') + '\n'
}

const inventory = readInventoryJson
const snapshot = folderSnapshot

const mode = (file: string): number => fs.statSync(file).mode & 0o777
const agentKey = (out: string, name: string): { id: string, key: string } => JSON.parse(fs.readFileSync(path.join(out, 'devices', name, 'agent-key.json'), 'utf8')) as { id: string, key: string }

test.serial('the provisioned node and agent carry a Mosquitto reading into the node\'s feed; a second run writes no file', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const broker = await startMosquitto(t, KEEP_EVERY_READING)
  const port = await freeUdpPort()
  const queue = path.join(tmpDir(t), 'queue')
  const s = setup(t, fleetYaml({ bootstrap: bootstrap[0], port, broker: broker.url, queue }))
  const provisioned = await s.run()
  t.is(provisioned.code, 0, provisioned.stderr)

  // The agent: an id and key of its own, its UCI config beside them, the board's agent artifact.
  const attic = inventory(s.out).devices.find((d) => d.name === 'attic')!
  const keys = agentKey(s.out, 'attic')
  t.like(attic, { board: 'tplink-archer-c7-v5', program: 'lua-agent', publicKey: null, artifact: 'artifacts/tplink-archer-c7-v5', agent: { node: 'hub', deviceId: keys.id } })
  for (const file of ['devices/attic/agent-key.json', 'devices/attic/roost-agent.uci', 'devices/hub/lan-keys/attic.key', 'devices/hub/identity.json']) {
    t.is(mode(path.join(s.out, file)), 0o600, file)
  }
  t.is(mode(path.join(s.out, 'devices/hub/lan-keys')), 0o700)
  t.is(fs.readFileSync(path.join(s.out, 'devices/hub/lan-keys/attic.key'), 'utf8'), `${keys.key}\n`)
  const uci = fs.readFileSync(path.join(s.out, 'devices/attic/roost-agent.uci'), 'utf8')
  t.true(uci.includes(`\toption node '127.0.0.1:${port}'\n\toption id '${keys.id}'\n\toption key '${keys.key}'\n`), uci)
  // The node: the agent among its lan-ingest devices, by a key file inside its data folder.
  const hubConfig = checkNodeConfig(JSON.parse(fs.readFileSync(path.join(s.out, 'devices/hub/config.json'), 'utf8')))
  t.deepEqual(hubConfig.lanIngest?.devices, [{ name: 'attic', id: keys.id, key: null, keyFile: 'lan-keys/attic.key', rules: [{ filter: 'home/#', feed: 'climate', decoder: 'number' }] }])
  // The table and the progress lines name the agent's node and id, never its key.
  t.regex(provisioned.stdout, new RegExp(`^attic +tplink-archer-c7-v5 +linux-mips +Lua agent, id ${keys.id} +agent of hub$`, 'm'))
  t.regex(provisioned.stderr, new RegExp(`\\] attic +tplink-archer-c7-v5 +new key \\(Lua agent of hub, id ${keys.id}\\)`))
  t.false((provisioned.stdout + provisioned.stderr).includes(keys.key), 'the agent key was printed')

  // The node installed by its artifact's install.sh (into a folder), started from the
  // provisioning folder's artifact and config on Bare.
  const prefix = tmpDir(t)
  const artifact = path.join(s.out, 'artifacts/x86-64-mini-pc')
  const device = path.join(s.out, 'devices/hub')
  const installed = execFileSync('sh', [path.join(artifact, 'install.sh'), '--prefix', prefix, '--config', path.join(device, 'config.json'),
    '--identity', path.join(device, 'identity.json'), '--unit', path.join(device, 'roost.service'), '--lan-keys', path.join(device, 'lan-keys')], { encoding: 'utf8' })
  t.regex(installed, /1 agent keys in \/var\/lib\/roost\/lan-keys/)
  const dataDir = path.join(prefix, 'var/lib/roost')
  t.is(mode(path.join(dataDir, 'lan-keys/attic.key')), 0o600)
  const node = watchNode(spawn(path.join(artifact, 'bin/bare'), [path.join(artifact, 'roost-node.cjs'), '--config', path.join(device, 'config.json'), '--storage', dataDir],
    { stdio: ['ignore', 'pipe', 'pipe'] }))
  t.teardown(async () => { await node.stop(1000) })
  t.like(await node.waitFor('ready', 30_000), { publicKey: inventory(s.out).devices.find((d) => d.name === 'hub')!.publicKey, identity: 'loaded' })
  t.like(await node.waitFor('lan-device-added', 10_000), { device: 'attic', id: keys.id, source: 'config' })
  await node.waitFor('lan-ingest-listening', 10_000)

  // The agent: the artifact's Lua file with the provisioned config, as procd runs it.
  const agent = startAgent(t, path.join(s.out, 'artifacts/tplink-archer-c7-v5/roost-agent.lua'), path.join(s.out, 'devices/attic/roost-agent.uci'))
  await Promise.race([
    broker.waitForLog(new RegExp(`roost-${keys.id} 1 home/#$`), 15_000),
    agent.exited.then(() => { throw new Error(`the agent exited: ${agent.stderr.join(' | ')}`) })
  ])
  await publish(broker, 'home/kitchen/temperature', '21.5')
  await agent.waitForEvent('the reading acknowledged', (e) => e.event === 'stats' && Number(e.acked) >= 1 && Number(e.in_queue) === 0, 30_000)
  t.is((await node.stop(5000)).code, 0)
  const records = await readFeed(dataDir, 'climate')
  t.deepEqual(records.map((r) => [r.topic, Buffer.from(r.payload).toString()]), [['home/kitchen/temperature', '21.5']])
  await agent.stop()

  const before = snapshot(s.out)
  const again = await s.run()
  t.is(again.code, 0, again.stderr)
  t.deepEqual(changedFiles(before, snapshot(s.out)), [])
  t.regex(again.stdout, /; nothing changed\n$/)
  t.regex(again.stderr, /board tplink-archer-c7-v5 \(linux-mips\): Lua agent artifact unchanged/)
  t.regex(again.stderr, /\] attic +tplink-archer-c7-v5 +key kept/)
})

test.serial('an agent added is the only one provisioned and changes only its node\'s config; --rotate and removal reach the node too', async (t) => {
  const s = setup(t, fleetYaml())
  t.is((await s.run()).code, 0)
  const attic = agentKey(s.out, 'attic')
  const before = snapshot(s.out)

  fs.writeFileSync(s.fleetFile, fleetYaml({ agents: ['attic', 'cellar'] }))
  const added = await s.run()
  t.is(added.code, 0, added.stderr)
  const afterAdd = snapshot(s.out)
  t.deepEqual(changedFiles(before, afterAdd), [
    'devices/cellar/agent-key.json', 'devices/cellar/roost-agent.uci', 'devices/hub/config.json', 'devices/hub/lan-keys/cellar.key', 'inventory.json'
  ])
  const cellar = agentKey(s.out, 'cellar')
  t.not(cellar.id, attic.id)
  t.deepEqual(inventory(s.out).devices.map((d) => [d.name, d.agent?.node ?? null]), [['attic', 'hub'], ['cellar', 'hub'], ['hub', null]])

  const rotated = await s.run('--rotate', 'attic')
  t.is(rotated.code, 0, rotated.stderr)
  const newAttic = agentKey(s.out, 'attic')
  t.is(newAttic.id, attic.id, 'the id stays: the node\'s window and the router\'s queue go on')
  t.not(newAttic.key, attic.key)
  t.deepEqual(changedFiles(afterAdd, snapshot(s.out)), ['devices/attic/agent-key.json', 'devices/attic/roost-agent.uci', 'devices/hub/lan-keys/attic.key'])
  t.is(fs.readFileSync(path.join(s.out, 'devices/hub/lan-keys/attic.key'), 'utf8'), `${newAttic.key}\n`)
  t.regex(rotated.stderr, /\] attic +tplink-archer-c7-v5 +new key \(rotated\) \(Lua agent of hub/)

  fs.writeFileSync(s.fleetFile, fleetYaml({ agents: ['attic'] }))
  t.is((await s.run()).code, 0)
  t.false(fs.existsSync(path.join(s.out, 'devices/hub/lan-keys/cellar.key')), 'the node no longer holds the key of an agent gone from the fleet')
  t.deepEqual(checkNodeConfig(JSON.parse(fs.readFileSync(path.join(s.out, 'devices/hub/config.json'), 'utf8'))).lanIngest?.devices.map((d) => d.name), ['attic'])
})

test.serial('a node removed or without lan-ingest while an agent names it is refused, naming the fix, and nothing is written', async (t) => {
  const s = setup(t, fleetYaml())
  t.is((await s.run()).code, 0)
  const before = snapshot(s.out)
  fs.writeFileSync(s.fleetFile, fleetYaml().replace('    roles: [lan-ingest]\n', '    roles: [storage]\n').replace(/ {4}lan_ingest: .*\n/, ''))
  const lost = await s.run()
  t.is(lost.code, 1)
  t.is(lost.stderr.split('\n')[0], `INVALID_FIELD: ${s.fleetFile}:10: devices.1.agent.node: device "hub" does not have the lan-ingest role (its roles: storage)`)
  t.regex(lost.stderr, /hint: add lan-ingest to the roles of hub/)
  fs.writeFileSync(s.fleetFile, fleetYaml().replace(/ {2}- name: hub\n( {4}.*\n)+?(?= {2}- )/, ''))
  const removed = await s.run()
  t.is(removed.stderr.split('\n')[0], `INVALID_FIELD: ${s.fleetFile}:6: devices.0.agent.node: no device named "hub" in this fleet (devices with the lan-ingest role: none)`)
  t.deepEqual(changedFiles(before, snapshot(s.out)), [])
})

test.serial('deploy of an agent router: --dry-run prints the files and commands; a host without opkg is refused before anything is copied', async (t) => {
  const s = setup(t, fleetYaml())
  t.is((await s.run()).code, 0)
  const plan = await roost(['deploy', '--ssh', 'root@192.168.1.30', '--device', 'attic', '--out', s.out, '--dry-run'], { home: s.home })
  t.is(plan.code, 0, plan.stderr)
  const ipk = fs.readdirSync(path.join(s.out, 'artifacts/tplink-archer-c7-v5')).find((f) => f.endsWith('.ipk'))!
  t.is(plan.stdout, [
    'deploy Lua agent attic to root@192.168.1.30 (nothing done: --dry-run)',
    'check: opkg and /etc/config are there (an OpenWrt router)',
    `copy ${path.join(s.out, 'artifacts/tplink-archer-c7-v5', ipk)} → /tmp/${ipk} (mode 644)`,
    `copy ${path.join(s.out, 'devices/attic/roost-agent.uci')} → /etc/config/roost-agent.roost-new (mode 600)`,
    'run opkg list-installed | grep -q \'^lua5\\.3 \' && opkg list-installed | grep -q \'^luasocket5\\.3 \' || { opkg update && opkg install lua5.3 luasocket5.3; }',
    `run opkg install /tmp/${ipk}`,
    'run mv -f /etc/config/roost-agent.roost-new /etc/config/roost-agent',
    'run chmod 600 /etc/config/roost-agent',
    'run /usr/bin/roost-agent --check /etc/config/roost-agent',
    'run /etc/init.d/roost-agent enable',
    'run /etc/init.d/roost-agent restart',
    `run rm -f /tmp/${ipk}`
  ].join('\n') + '\n')
  t.false(plan.stdout.includes(agentKey(s.out, 'attic').key))

  // This machine's sshd has no opkg: the real SSH round trip ends at the check.
  const sshd = await startSshd()
  t.teardown(() => sshd.close())
  const refused = await roost(['deploy', '--ssh', `${sshd.user}@127.0.0.1`, '--ssh-port', String(sshd.port), '--ssh-key', sshd.clientKey,
    '--known-hosts', sshd.knownHosts, '--device', 'attic', '--out', s.out], { home: s.home, timeoutMs: 60_000 })
  t.is(refused.code, 1)
  t.is(refused.stderr.split('\n')[0], `NOT_OPENWRT_TARGET: ${sshd.user}@127.0.0.1 has no opkg (or no /etc/config): device "attic" runs the Lua agent, which installs on OpenWrt`)
  t.false(fs.existsSync(`/tmp/${ipk}`), 'nothing copied')
  t.false(fs.existsSync('/etc/config/roost-agent.roost-new'), 'nothing copied')
})

test.serial('a node\'s agent keys go with it: deploy installs them into its data folder, roost package and roost flash carry them', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const s = setup(t, fleetYaml({ bootstrap: bootstrap[0] }))
  t.is((await s.run()).code, 0)
  const sshd = await startSshd()
  t.teardown(() => sshd.close())
  const prefix = tmpDir(t)
  const deploy = (): ReturnType<typeof roost> => roost(['deploy', '--ssh', `${sshd.user}@127.0.0.1`, '--ssh-port', String(sshd.port), '--ssh-key', sshd.clientKey,
    '--known-hosts', sshd.knownHosts, '--device', 'hub', '--out', s.out, '--prefix', prefix], { home: s.home, timeoutMs: 180_000 })
  const first = await deploy()
  t.is(first.code, 0, first.stderr + first.stdout)
  t.regex(first.stdout, /1 agent keys in \/var\/lib\/roost\/lan-keys/)
  const installedKey = path.join(prefix, 'var/lib/roost/lan-keys/attic.key')
  t.is(mode(installedKey), 0o600)
  t.is(fs.readFileSync(installedKey, 'utf8'), `${agentKey(s.out, 'attic').key}\n`)
  t.false(fs.existsSync(path.join(prefix, '.roost-deploy/hub/device/lan-keys')), 'the staged keys are removed')
  t.false((first.stdout + first.stderr).includes(agentKey(s.out, 'attic').key))
  const second = await deploy()
  t.regex(second.stdout, /^nothing to change/m)

  // The same fleet with an OpenWrt node: its own package carries the keys.
  const r = setup(t, fleetYaml({ hubBoard: 'glinet-gl-mt6000' }))
  t.is((await r.run()).code, 0)
  const made = await roost(['package', '--device', 'hub', '--out', r.out], { home: r.home, timeoutMs: 120_000 })
  t.is(made.code, 0, made.stderr)
  const [file] = fs.readdirSync(path.join(r.out, 'packages', 'hub'))
  const unpacked = tmpDir(t)
  execFileSync('tar', ['-xzf', path.join(r.out, 'packages', 'hub', file), '-C', unpacked])
  const listing = execFileSync('tar', ['-tvzf', path.join(unpacked, 'data.tar.gz')], { encoding: 'utf8' })
  t.regex(listing, /^-rw------- .* \.\/\S+\/lan-keys\/attic\.key$/m)

  // A Raspberry Pi node: its card carries the keys, which first boot moves off the FAT
  // partition before it runs install.sh --lan-keys.
  const p = setup(t, fleetYaml({ hubBoard: 'raspberry-pi-4b' }))
  t.is((await p.run()).code, 0)
  const boot = makeBootFolder(t, TRIXIE)
  const flashed = await roost(['flash', '--device', 'hub', '--boot', boot, '--out', p.out], { home: p.home, timeoutMs: 120_000 })
  t.is(flashed.code, 0, flashed.stderr)
  t.is(fs.readFileSync(path.join(boot, 'roost/lan-keys/attic.key'), 'utf8'), `${agentKey(p.out, 'attic').key}\n`)
  const firstBoot = fs.readFileSync(path.join(boot, 'roost/first-boot.sh'), 'utf8')
  t.true(firstBoot.includes('install -m 600 "$key" /root/roost-lan-keys/ || exit 1\n  done\n  rm -rf "$here/lan-keys"'), firstBoot)
  t.regex(firstBoot, /install\.sh" --config "\$here\/config\.json" --identity "\$staged" --unit "\$here\/roost\.service" --lan-keys \/root\/roost-lan-keys \$start/)
  t.is(spawnSync('sh', ['-n', path.join(boot, 'roost/first-boot.sh')]).status, 0)
})
