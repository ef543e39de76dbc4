// install.sh run for real: into a --prefix folder as root and as nobody, and as root on
// the running system inside a private mount namespace, so this machine's /etc, /opt
// and /var/lib are never touched.
import test, { type ExecutionContext } from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { sharedArtifact } from '../helpers/artifacts.ts'
import { asRoot, installAs, NOBODY, snapshot, type InstallRun } from '../helpers/install-script.ts'
import { runTool } from '../helpers/system-tool.ts'
import { tmpDir } from '../helpers/tmp.ts'

const SKIPPED = '--prefix: skipped creating the system user roost, chown of /var/lib/roost to it, and systemctl (daemon-reload, enable, start); the unit names /opt/roost and /var/lib/roost as on the device'

// The raspberry-pi-4b artifact as if on a Pi: an aarch64 machine with arm64 packages, the
// three libraries present, and a Bare binary on PATH (a stand-in that starts as an ELF).
function piDevice (t: ExecutionContext, opts: { libraries?: string[], bare?: boolean } = {}): NodeJS.ProcessEnv {
  const root = tmpDir(t)
  fs.chmodSync(root, 0o755)
  const libDir = path.join(root, 'lib')
  const binDir = path.join(root, 'bin')
  fs.mkdirSync(libDir)
  fs.mkdirSync(binDir)
  for (const name of opts.libraries ?? ['libatomic.so.1', 'libgcc_s.so.1', 'libstdc++.so.6']) fs.writeFileSync(path.join(libDir, name), '')
  if (opts.bare !== false) fs.writeFileSync(path.join(binDir, 'bare'), Buffer.from('\x7fELF stand-in'), { mode: 0o755 })
  return {
    ROOST_INSTALL_UNAME_M: 'aarch64',
    ROOST_INSTALL_DPKG_ARCH: 'arm64',
    ROOST_INSTALL_GLIBC: '2.36',
    ROOST_INSTALL_LIB_PATH: libDir,
    // Explicit, so no bare of the developer's (node_modules/.bin under npm test) is found.
    PATH: `${binDir}:/usr/sbin:/usr/bin:/sbin:/bin`
  }
}

async function pi (): Promise<string> {
  const { outDir } = await sharedArtifact('raspberry-pi-4b')
  // nobody must read it; mkdtemp made its parent 0700.
  fs.chmodSync(path.dirname(outDir), 0o755)
  return outDir
}

function identityFile (t: ExecutionContext): { file: string, publicKey: string, secretKey: string } {
  const dir = tmpDir(t)
  const { file } = loadOrCreateIdentity(dir)
  const { publicKey, secretKey } = JSON.parse(fs.readFileSync(file, 'utf8')) as { publicKey: string, secretKey: string }
  return { file, publicKey, secretKey }
}

function problems (run: InstallRun): string[] {
  return run.stderr.split('\n').filter((line) => line.startsWith('  - ')).map((line) => line.slice(4))
}

function assertRefused (t: ExecutionContext, run: InstallRun, prefix: string, problem: string): void {
  t.is(run.code, 1, run.stderr)
  t.true(problems(run).includes(problem), run.stderr)
  t.true(run.stderr.endsWith('Nothing was changed.\n'), run.stderr)
  t.deepEqual(fs.readdirSync(prefix), [])
}

test('install.sh is POSIX sh that dash parses, stopping at the first failed command', async (t) => {
  const script = path.join(await pi(), 'install.sh')
  const text = fs.readFileSync(script, 'utf8')
  t.true(text.startsWith('#!/bin/sh\n'))
  t.true(text.split('\n').includes('set -eu'))
  const result = runTool(t, 'dash', ['-n', script])
  t.is(result.stderr, '')
  t.is(result.code, 0)
})

test('on this x86-64 machine, install.sh --prefix installs the x86-64 artifact, its config, the data folder and the unit', async (t) => {
  const { outDir, manifest } = await sharedArtifact('x86-64-mini-pc')
  const prefix = tmpDir(t)
  const run = installAs(outDir, ['--prefix', prefix], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } })
  t.is(run.code, 0, run.stderr)
  t.true(run.stdout.startsWith(`installed roost ${manifest.version} for x86-64-mini-pc in ${prefix}/opt/roost: `), run.stdout)
  t.true(run.stdout.includes(SKIPPED), run.stdout)
  for (const file of manifest.files) {
    t.true(fs.readFileSync(path.join(prefix, 'opt/roost', file.path)).equals(fs.readFileSync(path.join(outDir, file.path))), file.path)
  }
  const mode = (rel: string): number => fs.statSync(path.join(prefix, rel)).mode & 0o777
  t.is(mode('opt/roost/bin/bare'), 0o755)
  t.is(mode('opt/roost/config.json'), 0o644)
  t.is(mode('var/lib/roost'), 0o700)
  t.is(mode('etc/systemd/system/roost.service'), 0o644)
  t.is(fs.readFileSync(path.join(prefix, 'etc/systemd/system/roost.service'), 'utf8'), fs.readFileSync(path.join(outDir, 'roost.service'), 'utf8'))
})

test('a second run with the same inputs changes no file and says so', async (t) => {
  const prefix = tmpDir(t)
  const env = piDevice(t)
  const args = ['--prefix', prefix, '--identity', identityFile(t).file]
  t.is(installAs(await pi(), args, { env }).code, 0)
  const before = snapshot(prefix)
  const again = installAs(await pi(), args, { env })
  t.is(again.code, 0, again.stderr)
  t.true(again.stdout.startsWith(`nothing to change: roost 0.1.0 for raspberry-pi-4b is installed in ${prefix}/opt/roost as given\n`), again.stdout)
  t.deepEqual(snapshot(prefix), before)
})

test('as nobody, install.sh installs under --prefix, copies bare from PATH and says what it skipped', async (t) => {
  const prefix = tmpDir(t)
  const env = piDevice(t)
  if (process.getuid?.() === 0) fs.chownSync(prefix, NOBODY.uid, NOBODY.gid)
  const run = installAs(await pi(), ['--prefix', prefix], { env, user: 'nobody' })
  t.is(run.code, 0, run.stderr)
  t.true(run.stdout.includes(SKIPPED), run.stdout)
  const bare = path.join(prefix, 'opt/roost/bin/bare')
  t.is(fs.readFileSync(bare, 'latin1'), '\x7fELF stand-in')
  t.is(fs.statSync(bare).mode & 0o777, 0o755)
  t.is(fs.statSync(path.join(prefix, 'var/lib/roost')).uid, fs.statSync(prefix).uid)
})

test('--identity puts the identity in the data folder with mode 0600 and never prints its secret', async (t) => {
  const prefix = tmpDir(t)
  const identity = identityFile(t)
  const run = installAs(await pi(), ['--prefix', prefix, '--identity', identity.file], { env: piDevice(t) })
  t.is(run.code, 0, run.stderr)
  const installed = path.join(prefix, 'var/lib/roost/identity.json')
  t.true(fs.readFileSync(installed).equals(fs.readFileSync(identity.file)))
  t.is(fs.statSync(installed).mode & 0o777, 0o600)
  t.true(run.stdout.includes(`identity of node ${identity.publicKey}`), run.stdout)
  t.false((run.stdout + run.stderr).includes(identity.secretKey.slice(0, 16)))
})

test('a different identity in the data folder is never replaced: install.sh refuses and changes nothing', async (t) => {
  const prefix = tmpDir(t)
  const env = piDevice(t)
  const first = identityFile(t)
  const second = identityFile(t)
  t.is(installAs(await pi(), ['--prefix', prefix, '--identity', first.file], { env }).code, 0)
  const before = snapshot(prefix)
  const run = installAs(await pi(), ['--prefix', prefix, '--identity', second.file], { env })
  t.is(run.code, 1)
  t.deepEqual(problems(run), [`refusing to replace /var/lib/roost/identity.json: it is node ${first.publicKey}, not node ${second.publicKey} from ${second.file}. Neither install.sh nor the node ever replaces an identity; to give this device the new one, stop roost and move the old file away yourself (the data there belongs to the old key)`])
  t.deepEqual(snapshot(prefix), before)
  t.false((run.stdout + run.stderr).includes(second.secretKey.slice(0, 16)))
})

// The node's copies of its Lua agents' keys, as roost provision writes them.
function lanKeys (t: ExecutionContext, keys: Record<string, string>): string {
  const dir = tmpDir(t)
  for (const [name, key] of Object.entries(keys)) fs.writeFileSync(path.join(dir, `${name}.key`), `${key}\n`, { mode: 0o600 })
  return dir
}

test('--lan-keys puts each agent key in the data folder\'s lan-keys/ with mode 0600, removes a key gone from the fleet, and never prints one', async (t) => {
  const prefix = tmpDir(t)
  const env = piDevice(t)
  const attic = 'a1'.repeat(32)
  const cellar = 'c2'.repeat(32)
  const first = installAs(await pi(), ['--prefix', prefix, '--lan-keys', lanKeys(t, { attic, cellar })], { env })
  t.is(first.code, 0, first.stderr)
  t.regex(first.stdout, /, 2 agent keys in \/var\/lib\/roost\/lan-keys/)
  const keys = path.join(prefix, 'var/lib/roost/lan-keys')
  t.is(fs.statSync(keys).mode & 0o777, 0o700)
  t.deepEqual(fs.readdirSync(keys).sort(), ['attic.key', 'cellar.key'])
  for (const name of ['attic.key', 'cellar.key']) t.is(fs.statSync(path.join(keys, name)).mode & 0o777, 0o600)
  t.false((first.stdout + first.stderr).includes(attic) || (first.stdout + first.stderr).includes(cellar))
  const second = installAs(await pi(), ['--prefix', prefix, '--lan-keys', lanKeys(t, { attic })], { env })
  t.is(second.code, 0, second.stderr)
  t.regex(second.stdout, /installed roost .*: 1 agent keys in \/var\/lib\/roost\/lan-keys/)
  t.deepEqual(fs.readdirSync(keys), ['attic.key'])
  const again = installAs(await pi(), ['--prefix', prefix, '--lan-keys', lanKeys(t, { attic })], { env })
  t.regex(again.stdout, /^nothing to change: /)
})

test('a --lan-keys file that is not an agent key is refused, named and never shown, and nothing is changed', async (t) => {
  const prefix = tmpDir(t)
  const dir = lanKeys(t, { attic: 'a1'.repeat(32) })
  fs.writeFileSync(path.join(dir, 'cellar.key'), 'not-a-key-but-a-secret\n', { mode: 0o600 })
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello\n')
  const run = installAs(await pi(), ['--prefix', prefix, '--lan-keys', dir], { env: piDevice(t) })
  t.deepEqual(problems(run), [
    `${dir}/cellar.key is not an agent key (64 lower-case hex characters on one line)`,
    `${dir}/notes.txt: --lan-keys holds only the agents' NAME.key files (roost provision writes them)`
  ])
  t.false(run.stderr.includes('not-a-key-but-a-secret'))
  assertRefused(t, run, prefix, `${dir}/notes.txt: --lan-keys holds only the agents' NAME.key files (roost provision writes them)`)
})

test('--config installs that config and lets the unit write its data folder', async (t) => {
  const prefix = tmpDir(t)
  const artifact = await pi()
  const config = path.join(tmpDir(t), 'config.json')
  const text = fs.readFileSync(path.join(artifact, 'config.json'), 'utf8').replace('"dataDir": "/var/lib/roost"', '"dataDir": "/srv/usb/roost"')
  fs.writeFileSync(config, text)
  const run = installAs(artifact, ['--prefix', prefix, '--config', config], { env: piDevice(t) })
  t.is(run.code, 0, run.stderr)
  t.is(fs.readFileSync(path.join(prefix, 'opt/roost/config.json'), 'utf8'), text)
  t.is(fs.statSync(path.join(prefix, 'srv/usb/roost')).mode & 0o777, 0o700)
  const unit = fs.readFileSync(path.join(prefix, 'etc/systemd/system/roost.service'), 'utf8').split('\n')
  t.true(unit.includes('ReadWritePaths=/srv/usb/roost'))
  t.false(unit.includes('ReadWritePaths=/var/lib/roost'))
})

test('--unit installs the device\'s own unit, with its memory budget, still writing only its data folder', async (t) => {
  const prefix = tmpDir(t)
  const artifact = await pi()
  const unitFile = path.join(tmpDir(t), 'roost.service')
  fs.writeFileSync(unitFile, fs.readFileSync(path.join(artifact, 'roost.service'), 'utf8').replace(/^MemoryMax=.*$/m, 'MemoryMax=100M'))
  const run = installAs(artifact, ['--prefix', prefix, '--unit', unitFile], { env: piDevice(t) })
  t.is(run.code, 0, run.stderr)
  const unit = fs.readFileSync(path.join(prefix, 'etc/systemd/system/roost.service'), 'utf8').split('\n')
  t.true(unit.includes('MemoryMax=100M'))
  t.true(unit.includes('ReadWritePaths=/var/lib/roost'))
  t.is(installAs(artifact, ['--prefix', prefix, '--unit', path.join(prefix, 'nope.service')], { env: piDevice(t) }).code, 2)
})

test('run again from the installed folder, where --config left the device\'s config, install.sh changes nothing', async (t) => {
  const prefix = tmpDir(t)
  const env = piDevice(t)
  const config = path.join(tmpDir(t), 'config.json')
  fs.writeFileSync(config, fs.readFileSync(path.join(await pi(), 'config.json'), 'utf8').replace('"trustedKeys": []', '"trustedKeys": [ ]'))
  t.is(installAs(await pi(), ['--prefix', prefix, '--config', config], { env }).code, 0)
  const before = snapshot(prefix)
  const again = installAs(path.join(prefix, 'opt/roost'), ['--prefix', prefix], { env })
  t.is(again.code, 0, again.stderr)
  t.true(again.stdout.startsWith('nothing to change: '), again.stdout)
  t.deepEqual(snapshot(prefix), before)
})

test('files an earlier version installed and this one has not are removed', async (t) => {
  const prefix = tmpDir(t)
  const env = piDevice(t)
  t.is(installAs(await pi(), ['--prefix', prefix], { env }).code, 0)
  const manifest = path.join(prefix, 'opt/roost/manifest.json')
  fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace('"files": [', '"files": [\n    { "path": "node_modules/gone/gone.bare", "size": 1, "sha256": "x" },'))
  fs.mkdirSync(path.join(prefix, 'opt/roost/node_modules/gone'))
  fs.writeFileSync(path.join(prefix, 'opt/roost/node_modules/gone/gone.bare'), 'x')
  const run = installAs(await pi(), ['--prefix', prefix], { env })
  t.is(run.code, 0, run.stderr)
  t.true(run.stdout.includes('removed node_modules/gone/gone.bare'), run.stdout)
  t.false(fs.existsSync(path.join(prefix, 'opt/roost/node_modules/gone/gone.bare')))
})

test('an arm64 artifact on an x86-64 machine is refused with both architectures', async (t) => {
  const prefix = tmpDir(t)
  const run = installAs(await pi(), ['--prefix', prefix], { env: { ...piDevice(t), ROOST_INSTALL_UNAME_M: 'x86_64' } })
  assertRefused(t, run, prefix, 'this artifact is for aarch64 (linux-arm64); this machine is x86_64: build one for this machine\'s board (roost boards lists them; roost build --board ID)')
})

test('a 32-bit kernel on a Pi is refused with the 64-bit OS to install', async (t) => {
  const prefix = tmpDir(t)
  const run = installAs(await pi(), ['--prefix', prefix], { env: { ...piDevice(t), ROOST_INSTALL_UNAME_M: 'armv7l' } })
  assertRefused(t, run, prefix, 'this artifact is for 64-bit ARM (aarch64, linux-arm64); this system runs a 32-bit kernel (armv7l): install the 64-bit (arm64) Raspberry Pi OS')
})

test('32-bit packages on a 64-bit kernel are refused with the 64-bit OS to install', async (t) => {
  const prefix = tmpDir(t)
  const run = installAs(await pi(), ['--prefix', prefix], { env: { ...piDevice(t), ROOST_INSTALL_DPKG_ARCH: 'armhf' } })
  assertRefused(t, run, prefix, 'the kernel is aarch64 but the system\'s packages are armhf (a 32-bit OS on a 64-bit kernel): install the 64-bit (arm64) OS')
})

test('a glibc older than the addons need is refused with the OS to upgrade to', async (t) => {
  const prefix = tmpDir(t)
  const run = installAs(await pi(), ['--prefix', prefix], { env: { ...piDevice(t), ROOST_INSTALL_GLIBC: '2.31' } })
  assertRefused(t, run, prefix, 'glibc 2.31 is too old: the native addons need glibc 2.34 or newer: upgrade to Debian 12 or Raspberry Pi OS bookworm (or later)')
})

test('a missing libatomic is named with the package that installs it', async (t) => {
  const prefix = tmpDir(t)
  const run = installAs(await pi(), ['--prefix', prefix], { env: piDevice(t, { libraries: ['libgcc_s.so.1', 'libstdc++.so.6'] }) })
  assertRefused(t, run, prefix, 'missing libatomic.so.1 (needed by rocksdb-native): apt-get install libatomic1')
  t.is(problems(run).length, 1, run.stderr)
})

test('a missing Bare runtime is refused with the npm command from the manifest', async (t) => {
  const prefix = tmpDir(t)
  const { manifest } = await sharedArtifact('raspberry-pi-4b')
  const run = installAs(await pi(), ['--prefix', prefix], { env: piDevice(t, { bare: false }) })
  assertRefused(t, run, prefix, `the Bare runtime is missing (not in this artifact, not in /opt/roost/bin/bare, no bare on PATH): ${manifest.runtime.install ?? ''}`)
  t.regex(manifest.runtime.install ?? '', /^npm install --global bare-runtime-linux-arm64@/)
})

test('too little free space is refused with what is free, what is needed and where', async (t) => {
  const prefix = tmpDir(t)
  const run = installAs(await pi(), ['--prefix', prefix], { env: { ...piDevice(t), ROOST_INSTALL_FREE_KB: '40000' } })
  const { manifest } = await sharedArtifact('raspberry-pi-4b')
  const artifactMib = Math.ceil(manifest.files.filter((f) => f.path !== 'install.sh').reduce((sum, f) => sum + f.size, 0) / 1024 / 1024)
  const need = `${artifactMib + 64} MiB needed (the artifact's ${artifactMib} MiB and a 64 MiB margin): free some space there`
  assertRefused(t, run, prefix, `not enough free space for /opt/roost: 40 MiB free on the file system of ${prefix}, ${need}`)
  t.true(problems(run).includes(`not enough free space for /var/lib/roost: 40 MiB free on the file system of ${prefix}, ${need}`), run.stderr)
})

test('a damaged artifact file is named and nothing is installed', async (t) => {
  const copy = path.join(tmpDir(t), 'artifact')
  fs.cpSync(await pi(), copy, { recursive: true })
  fs.appendFileSync(path.join(copy, 'roost-node.cjs'), '\n')
  const prefix = tmpDir(t)
  const run = installAs(copy, ['--prefix', prefix], { env: piDevice(t) })
  assertRefused(t, run, prefix, 'roost-node.cjs is missing or differs from manifest.json: copy the artifact folder again')
})

test('without root and without --prefix, install.sh refuses and says how to run it', async (t) => {
  const artifact = await pi()
  const run = installAs(artifact, [], { env: piDevice(t), user: 'nobody' })
  t.is(run.code, 1)
  t.true(problems(run).includes(`installing into / needs root: run it as root (sudo sh ${artifact}/install.sh ...), or pass --prefix DIR to install into a folder`), run.stderr)
})

test('an unknown option or a missing value is a usage error (exit 2)', async (t) => {
  const unknown = installAs(await pi(), ['--frobnicate'])
  t.is(unknown.code, 2)
  t.true(unknown.stderr.startsWith('install.sh: unknown argument --frobnicate\nusage: sh install.sh '), unknown.stderr)
  const missing = installAs(await pi(), ['--identity'])
  t.is(missing.code, 2)
  t.true(missing.stderr.startsWith('install.sh: --identity needs a value\n'), missing.stderr)
})

test('as root on the system, install.sh makes the roost user without a login and hands it the data folder, identity and agent keys', async (t) => {
  if (!asRoot(t, 'it creates a user and mounts folders in a private mount namespace')) return
  const { outDir } = await sharedArtifact('x86-64-mini-pc')
  const identity = identityFile(t)
  const keys = lanKeys(t, { attic: 'a1'.repeat(32) })
  const sandbox = tmpDir(t)
  for (const dir of ['etc', 'opt', 'var-lib']) fs.mkdirSync(path.join(sandbox, dir))
  fs.cpSync('/etc', path.join(sandbox, 'etc'), { recursive: true, verbatimSymlinks: true })
  // Each line runs in a mount namespace of its own: /etc, /opt and /var/lib are copies.
  const script = [
    'set -e',
    `mount --bind ${sandbox}/etc /etc`,
    `mount --bind ${sandbox}/opt /opt`,
    `mount --bind ${sandbox}/var-lib /var/lib`,
    `sh ${outDir}/install.sh --identity ${identity.file} --lan-keys ${keys}`,
    'echo ---',
    `sh ${outDir}/install.sh --identity ${identity.file} --lan-keys ${keys}`,
    'echo ---',
    'getent passwd roost',
    'stat -c "%U:%G %a %n" /var/lib/roost /var/lib/roost/identity.json /var/lib/roost/lan-keys /var/lib/roost/lan-keys/attic.key /opt/roost/config.json /etc/systemd/system/roost.service'
  ].join('\n')
  const run = runTool(t, 'unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } })
  t.is(run.code, 0, run.stderr)
  const [first, second, facts] = run.stdout.split('---\n')
  t.true(first.startsWith('installed roost 0.1.0 for x86-64-mini-pc in /opt/roost: system user roost, '), first)
  t.true(first.includes('systemd is not running here (a container or chroot?): skipped systemctl'), first)
  t.true(second.startsWith('nothing to change: '), second)
  const [passwd, ...modes] = facts.trim().split('\n')
  t.regex(passwd, /^roost:x:\d+:\d+::\/nonexistent:\/usr\/sbin\/nologin$/)
  t.deepEqual(modes, [
    'roost:roost 700 /var/lib/roost',
    'roost:roost 600 /var/lib/roost/identity.json',
    'roost:roost 700 /var/lib/roost/lan-keys',
    'roost:roost 600 /var/lib/roost/lan-keys/attic.key',
    'root:root 644 /opt/roost/config.json',
    'root:root 644 /etc/systemd/system/roost.service'
  ])
})
