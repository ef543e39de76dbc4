// What a node loads from its artifact. The node runs with every role on (the bridge over
// mqtts://, so bare-tls loads too) under `strace -e trace=open,openat`; every file the
// artifact carries for the node to load must be opened, so nothing ships that nothing
// loads. Bare's own resolver says which prebuild it picks, so the one the build keeps is
// the one it loads.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import test, { type ExecutionContext } from 'ava'
import { BRIDGE_DEFAULTS, LAN_INGEST_DEFAULTS, ROLES } from '../../node/config/types.ts'
import { defaultConfig } from '../../targets/artifact.ts'
import { BUNDLE_FILE, SHARED_FILE, type Runtime } from '../../targets/bundle.ts'
import { BARE_STATIC_ADDONS } from '../../targets/prebuilds.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { freeUdpPort } from '../../tools/harness/lan-agent.ts'
import { nodeCommand, writeConfig } from '../../tools/harness/local-node.ts'
import { watchNode } from '../../tools/harness/node-process.ts'
import { sharedArtifact } from '../helpers/artifacts.ts'
import { startMosquitto, startTlsMosquitto } from '../helpers/mosquitto.ts'
import { runTool } from '../helpers/system-tool.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { tmpDir } from '../helpers/tmp.ts'

const board = loadBoard('x86-64-mini-pc')

// What the artifact holds for the node to load: the bundle, the packages the bundles
// share, the role bundles and the addon packages (not bin/, which is executed, nor the
// install files).
function loadable (outDir: string): string[] {
  const under = (dir: string): string[] => fs.readdirSync(path.join(outDir, dir), { recursive: true, encoding: 'utf8' })
    .map((file) => `${dir}/${file.split(path.sep).join('/')}`)
    .filter((file) => fs.statSync(path.join(outDir, file)).isFile())
  return [BUNDLE_FILE, SHARED_FILE, ...under('roles'), ...under('node_modules')].sort()
}

// The files under `dir` that strace saw opened with success. With -f, a call another
// thread interrupts is logged as "<unfinished ...>" and later "<... openat resumed>".
function openedUnder (trace: string, dir: string): Set<string> {
  const opened = new Set<string>()
  const pending = new Map<string, string>()
  for (const line of fs.readFileSync(trace, 'utf8').split('\n')) {
    const call = /^(\d+)\s+open(?:at)?\((?:[^,]+, )?"([^"]+)".*?(?:= (-?\d+)|<unfinished \.\.\.>)/.exec(line)
    const resumed = /^(\d+)\s+<\.\.\. open(?:at)? resumed>.*= (-?\d+)/.exec(line)
    let file: string | undefined
    if (call && call[3] === undefined) pending.set(call[1], call[2])
    else if (call && Number(call[3]) >= 0) file = call[2]
    else if (resumed && Number(resumed[2]) >= 0) file = pending.get(resumed[1])
    if (file?.startsWith(dir + '/')) opened.add(file.slice(dir.length + 1))
  }
  return opened
}

// `tls`: the bridge's broker over mqtts://, else plain mqtt://; `artifactTls`: the
// artifact built with --tls (default), else as the board's default config gives it.
async function traceEveryRole (t: ExecutionContext, runtime: Runtime, tls = true, artifactTls = true): Promise<{ outDir: string, opened: Set<string> }> {
  const { outDir } = await sharedArtifact(board.id, runtime, { tls: artifactTls })
  const { bootstrap } = await startTestnet(t)
  const broker = tls ? await startTlsMosquitto(t) : { tlsUrl: (await startMosquitto(t)).url, pki: null }
  const work = tmpDir(t)
  const configFile = path.join(work, 'node.json')
  writeConfig(configFile, {
    ...defaultConfig(board),
    dataDir: path.join(work, 'node'),
    bootstrap,
    roles: [...ROLES],
    bridge: { ...BRIDGE_DEFAULTS, broker: broker.tlsUrl, caFile: broker.pki?.ca ?? null, clientId: null, username: null, password: null, rules: [{ filter: 'home/#', feed: 'home', decoder: 'text' }], commandTopics: [] },
    lanIngest: { ...LAN_INGEST_DEFAULTS, host: '127.0.0.1', port: await freeUdpPort(), devices: [] }
  })
  const { command, args } = nodeCommand(outDir, runtime, configFile)
  const trace = path.join(work, 'trace')
  runTool(t, 'strace', ['-V'])
  const child = spawn('strace', ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=open,openat', '-o', trace, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const node = watchNode(child)
  // strace ignores SIGTERM while it runs a program (-I 3): the node itself, its child, is
  // asked to stop, and strace then exits as the node did.
  const stopNode = (): void => {
    const tracee = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]
    if (tracee) process.kill(Number(tracee), 'SIGTERM')
  }
  t.teardown(async () => {
    try { stopNode() } catch {}
    await node.stop(5000)
  })
  await node.waitFor('ready', 60_000)
  await node.waitFor('broker-connected', 30_000)
  await node.waitFor('lan-ingest-listening', 30_000)
  stopNode()
  t.deepEqual(await node.exited(10_000), { code: 0, signal: null }, node.lastLog())
  return { outDir, opened: openedUnder(trace, outDir) }
}

for (const runtime of ['bare', 'node'] as const) {
  test(`the x86-64 ${runtime} node with every role on opens every file its artifact carries for it`, async (t) => {
    const { outDir, opened } = await traceEveryRole(t, runtime)
    const carried = loadable(outDir)
    t.log(`loaded from the artifact (${carried.filter((f) => opened.has(f)).length} files):\n` +
      carried.filter((f) => opened.has(f)).map((f) => `  ${f} ${fs.statSync(path.join(outDir, f)).size}`).join('\n'))
    t.true(carried.some((f) => f.includes('/prebuilds/')), 'no prebuilds in the artifact')
    t.true(opened.has(BUNDLE_FILE), `${BUNDLE_FILE} was not opened: the trace saw nothing`)
    t.deepEqual(carried.filter((f) => !opened.has(f)), [], 'the artifact carries files the node never opened')
  })
}

test('the x86-64 bare node built from a config without an mqtts:// broker carries no TLS, and opens every file it carries', async (t) => {
  const { outDir, opened } = await traceEveryRole(t, 'bare', false, false)
  const carried = loadable(outDir)
  t.false(fs.existsSync(path.join(outDir, 'node_modules', 'bare-tls')), 'bare-tls is in an artifact whose config has no mqtts:// broker')
  t.true(opened.has('roles/bridge.cjs'), 'the bridge did not load')
  t.deepEqual(carried.filter((f) => !opened.has(f)), [], 'the artifact carries files the node never opened')
})

test('a bridge on a plain mqtt:// broker never loads bare-tls (BoringSSL) on Bare', async (t) => {
  const { opened } = await traceEveryRole(t, 'bare', false)
  const tls = [...opened].filter((f) => f.startsWith('node_modules/bare-tls/'))
  t.true(opened.has('roles/bridge.cjs'), 'the bridge did not load')
  t.deepEqual(tls, [])
})

// Bare.Addon.resolve is the resolution require.addon() runs; a script printing what it
// gives for each package folder named on the command line.
const RESOLVE = 'const out = {}\n' +
  'for (const dir of Bare.argv.slice(2)) out[dir] = Bare.Addon.resolve(".", new URL("file://" + dir + "/index.js")).href\n' +
  'console.log(JSON.stringify(out))\n'

function resolveAddons (t: ExecutionContext, bare: string, dirs: string[]): Record<string, string> {
  const script = path.join(tmpDir(t), 'resolve.js')
  fs.writeFileSync(script, RESOLVE)
  const result = runTool(t, bare, [script, ...dirs])
  t.is(result.code, 0, result.stderr)
  return JSON.parse(result.stdout) as Record<string, string>
}

test('the artifact\'s Bare resolves each addon package to the one prebuild the artifact carries, or to the addon it has linked in', async (t) => {
  const { outDir, manifest } = await sharedArtifact(board.id, 'bare')
  const packages = fs.readdirSync(path.join(outDir, 'node_modules')).sort()
  const resolved = resolveAddons(t, path.join(outDir, 'bin', 'bare'), packages.map((name) => path.join(outDir, 'node_modules', name)))
  const expected = Object.fromEntries(packages.map((name) => {
    const addon = manifest.addons.find((a) => a.name === name)
    const linked = manifest.runtime.staticAddons?.find((a) => a.startsWith(`${name}@`))
    return [path.join(outDir, 'node_modules', name), addon ? `file://${path.join(outDir, addon.file)}` : `builtin:${linked}`]
  }))
  t.deepEqual(resolved, expected)
})

test('every addon BARE_STATIC_ADDONS lists for the included Bare is linked into that binary', async (t) => {
  const { outDir, manifest } = await sharedArtifact(board.id, 'bare')
  const listed = BARE_STATIC_ADDONS[manifest.runtime.version]
  t.true(listed !== undefined && listed.length > 10, `no list for Bare ${manifest.runtime.version}`)
  // One package folder per entry, named and versioned as the linked-in addon.
  const work = tmpDir(t)
  const dirs = (listed ?? []).map((entry) => {
    const at = entry.lastIndexOf('@')
    const dir = path.join(work, entry)
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: entry.slice(0, at), version: entry.slice(at + 1) }))
    return dir
  })
  t.deepEqual(resolveAddons(t, path.join(outDir, 'bin', 'bare'), dirs), Object.fromEntries(dirs.map((dir) => [dir, `builtin:${path.basename(dir)}`])))
})
