// End to end on the real things: the linux-x64 artifact run by the real Bare binary,
// nodes on a HyperDHT testnet on loopback, and the real `roost` CLI talking to them.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import test from 'ava'
import HyperDHT from 'hyperdht'
import Protomux from 'protomux'
import * as c from 'compact-encoding'
import { PROTOCOL } from '../../node/protocol/messages.ts'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { encodeKey, decodeKey } from '../../node/identity/keys.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { buildLocal, writeConfig } from '../../tools/harness/local-node.ts'
import { defaultConfig } from '../../targets/artifact.ts'
import { watchNode } from '../../tools/harness/node-process.ts'
import { REPO_ROOT } from '../../targets/bundle.ts'
import { roost } from '../helpers/cli.ts'
import { launchNode } from '../helpers/nodes.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { tmpDir } from '../helpers/tmp.ts'

const board = loadBoard('x86-64-mini-pc')
const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-e2e-build-'))
const artifact = buildLocal(board, 'bare', path.join(buildDir, 'artifact'))
test.after.always(() => fs.rmSync(buildDir, { recursive: true, force: true }))

async function bareNode (t: Parameters<typeof launchNode>[0], work: string, name: string, config: Parameters<typeof launchNode>[1]['config']) {
  const { outDir } = await artifact
  return launchNode(t, { artifactDir: outDir, runtime: 'bare', board, work, name, config })
}

test.serial('the node on Bare logs ready first, with its public key and host', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const node = await bareNode(t, work, 'home', { bootstrap })
  const ready = await node.waitFor('ready')
  t.is(node.events[0].event, 'ready')
  t.is(ready.host, 'linux-x64')
  t.is(ready.runtime, 'bare')
  // Started as the service files start it, Bare gives the node gc() for its heap trim.
  t.is(ready.heapTrim, true)
  t.regex(String(ready.publicKey), /^[13-9a-km-uw-z]{52}$/)
  t.is(ready.dhtAddress && String(ready.dhtAddress).split(':')[0], '127.0.0.1')
  const stored = JSON.parse(fs.readFileSync(path.join(work, 'home', 'identity.json'), 'utf8'))
  t.is(stored.publicKey, ready.publicKey)
  t.is(fs.statSync(path.join(work, 'home', 'identity.json')).mode & 0o777, 0o600)
})

test.serial('a node reaches another by public key and they exchange pings', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const home = await bareNode(t, work, 'home', { bootstrap })
  const homeKey = String((await home.waitFor('ready')).publicKey)
  const second = await bareNode(t, work, 'second', { bootstrap, peers: [homeKey], pingIntervalMs: 200 })
  const reached = await second.waitFor('peer-reached', 30_000)
  t.is(reached.peer, homeKey)
  t.true(Number(reached.rttMs) > 0)
  // A second round trip proves the connection keeps carrying data both ways.
  const again = await second.waitFor('peer-ping', 10_000)
  t.is(again.peer, homeKey)
  await home.waitFor('peer-connected', 5000, (e) => e.peer === String((second.events[0]).publicKey))
})

test.serial('roost ping reaches a Bare node by key and prints round-trip times', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const home = await bareNode(t, work, 'home', { bootstrap })
  const key = String((await home.waitFor('ready')).publicKey)
  const result = await roost(['ping', key, '--count', '3', '--interval', '50', '--bootstrap', bootstrap[0]], { home: tmpDir(t) })
  t.is(result.code, 0, result.stderr)
  t.regex(result.stdout, new RegExp(`^connected to ${key} in [\\d.]+ ms, direct$`, 'm'))
  t.is(result.stdout.match(/^reply from .+: seq=\d time=[\d.]+ ms$/gm)?.length, 3)
  t.regex(result.stdout, /^3 sent, 3 received, rtt min\/avg\/max = /m)
})

test.serial('a trusted client gets the status with roost status --peer', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const clientHome = tmpDir(t)
  const clientKey = encodeKey(loadOrCreateIdentity(path.join(clientHome, 'client')).keyPair.publicKey)
  const home = await bareNode(t, work, 'home', { bootstrap, trustedKeys: [clientKey], roles: ['storage'] })
  const key = String((await home.waitFor('ready')).publicKey)
  const result = await roost(['status', '--peer', key, '--json', '--bootstrap', bootstrap[0]], { home: clientHome })
  t.is(result.code, 0, result.stderr)
  const status = JSON.parse(result.stdout)
  t.is(status.publicKey, key)
  t.is(status.boardId, 'x86-64-mini-pc')
  t.is(status.host, 'linux-x64')
  t.is(status.runtime, 'bare')
  t.deepEqual(status.roles, ['storage'])
  t.is(status.version, JSON.parse(fs.readFileSync('package.json', 'utf8')).version)
  t.true(status.uptimeMs >= 0)
  // identity.json is in the storage folder, so storage used is at least its size.
  t.true(status.storageBytes >= fs.statSync(path.join(work, 'home', 'identity.json')).size)
})

test.serial('the operator key gets the status too', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const clientHome = tmpDir(t)
  const operatorKey = encodeKey(loadOrCreateIdentity(path.join(clientHome, 'client')).keyPair.publicKey)
  const home = await bareNode(t, work, 'home', { bootstrap, operatorKey })
  const key = String((await home.waitFor('ready')).publicKey)
  const result = await roost(['status', '--peer', key, '--bootstrap', bootstrap[0]], { home: clientHome })
  t.is(result.code, 0, result.stderr)
  t.regex(result.stdout, /^board +x86-64-mini-pc$/m)
  t.regex(result.stdout, /^host +linux-x64 \(bare\)$/m)
})

test.serial('an untrusted key is refused the status with a clear error, and the node keeps serving', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const home = await bareNode(t, work, 'home', { bootstrap })
  const key = String((await home.waitFor('ready')).publicKey)
  const strangerHome = tmpDir(t)
  const refused = await roost(['status', '--peer', key, '--bootstrap', bootstrap[0]], { home: strangerHome })
  t.is(refused.code, 1)
  const strangerKey = (await roost(['id'], { home: strangerHome })).stdout.trim()
  t.is(refused.stderr.split('\n')[0], `NOT_TRUSTED: this node does not trust key ${strangerKey}`)
  t.regex(refused.stderr, /^hint: .*roost id/m)
  t.is(refused.stdout, '')
  const logged = await home.waitFor('refused')
  t.is(logged.peer, strangerKey)
  // Anyone may still ping it.
  const ping = await roost(['ping', key, '--count', '1', '--bootstrap', bootstrap[0]], { home: strangerHome })
  t.is(ping.code, 0, ping.stderr)
})

test.serial('malformed control messages end that connection only; the node keeps serving', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const home = await bareNode(t, work, 'home', { bootstrap })
  const key = String((await home.waitFor('ready')).publicKey)
  const dht = new HyperDHT({ bootstrap, host: '127.0.0.1' })
  t.teardown(() => dht.destroy({ force: true }))
  const socket = dht.connect(decodeKey('key', key))
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  // Raw bytes on roost's own channel: message 2 is a status request whose body must be
  // a uint; 0xfd announces a 2-byte uint that never comes.
  const channel = Protomux.from(socket).createChannel({ protocol: PROTOCOL })
  if (!channel) throw new Error('channel not created')
  const messages = [0, 1, 2].map(() => channel.addMessage({ encoding: c.raw }))
  channel.open()
  messages[2].send(Buffer.from([0xfd]))
  const error = await home.waitFor('peer-error', 10_000)
  t.is(error.peer, encodeKey(socket.publicKey))
  await closed
  t.is(home.child.exitCode, null, 'node must still be running')
  const ping = await roost(['ping', key, '--count', '2', '--interval', '10', '--bootstrap', bootstrap[0]], { home: tmpDir(t) })
  t.is(ping.code, 0, ping.stderr)
  t.false(home.events.some((e) => e.event === 'fatal'))
})

test.serial('SIGTERM closes the node cleanly with exit code 0', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const home = await bareNode(t, work, 'home', { bootstrap })
  await home.waitFor('ready')
  // The 2 s deadline: a node still running after it is killed, and fails the test.
  const result = await home.stop(2000)
  t.deepEqual(result, { code: 0, signal: null })
  t.truthy(home.events.find((e) => e.event === 'closed'))
})

test.serial('SIGINT closes the node cleanly with exit code 0', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const home = await bareNode(t, tmpDir(t), 'home', { bootstrap })
  await home.waitFor('ready')
  home.child.kill('SIGINT')
  const result = await home.exited(2000)
  t.deepEqual(result, { code: 0, signal: null })
  t.is(home.events.find((e) => e.event === 'stopping')?.signal, 'SIGINT')
})

test.serial('a node refuses to start when its identity file is readable by others', async (t) => {
  const work = tmpDir(t)
  const storage = path.join(work, 'home')
  const { file } = loadOrCreateIdentity(storage)
  fs.chmodSync(file, 0o644)
  const node = await bareNode(t, work, 'home', { bootstrap: ['127.0.0.1:9'] })
  const error = await node.waitFor('error')
  t.is(error.code, 'IDENTITY_PERMISSIONS')
  t.true(String(error.message).includes(file))
  t.is(error.hint, `run: chmod 600 ${file}`)
  t.is((await node.exited()).code, 1)
})

test.serial('a node refuses to start on a corrupt identity and never replaces it', async (t) => {
  const work = tmpDir(t)
  const storage = path.join(work, 'home')
  const { file } = loadOrCreateIdentity(storage)
  const truncated = fs.readFileSync(file).subarray(0, 40)
  fs.writeFileSync(file, truncated)
  const node = await bareNode(t, work, 'home', { bootstrap: ['127.0.0.1:9'] })
  const error = await node.waitFor('error')
  t.is(error.code, 'IDENTITY_CORRUPT')
  t.true(String(error.message).includes(file))
  t.is((await node.exited()).code, 1)
  t.deepEqual(fs.readFileSync(file), truncated)
})

test.serial('the user flow: roost testnet, roost run, then roost status as the operator', async (t) => {
  const home = tmpDir(t)
  const env = { ...process.env, ROOST_HOME: home }
  const cli = path.join(REPO_ROOT, 'bin', 'roost.js')
  const testnet = spawn(process.execPath, [cli, 'testnet'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const testnetExit = new Promise<number | null>((resolve) => testnet.on('close', (code) => resolve(code)))
  t.teardown(() => { testnet.kill('SIGKILL') })
  const bootstrap = await new Promise<string>((resolve, reject) => {
    testnet.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()))
    testnet.once('close', () => reject(new Error('testnet exited')))
  })
  t.regex(bootstrap, /^127\.0\.0\.1:\d+$/)

  const storage = path.join(home, 'my-node')
  // Its own process group, so a failed test can also kill the Bare child `run` starts.
  const run = watchNode(spawn(process.execPath, [cli, 'run', '--bootstrap', bootstrap, '--storage', storage], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }))
  t.teardown(async () => {
    await run.stop(1000)
    try { process.kill(-run.child.pid!, 'SIGKILL') } catch {}
  })
  const ready = await run.waitFor('ready', 60_000)
  t.is(ready.runtime, 'bare')
  t.true(fs.existsSync(path.join(storage, 'identity.json')))

  const status = await roost(['status', '--peer', String(ready.publicKey), '--json', '--bootstrap', bootstrap], { home })
  t.is(status.code, 0, status.stderr)
  t.is(JSON.parse(status.stdout).publicKey, ready.publicKey)

  t.deepEqual(await run.stop(3000), { code: 0, signal: null })
  t.truthy(run.events.find((e) => e.event === 'closed'))
  testnet.kill('SIGINT')
  t.is(await testnetExit, 0)
})

test.serial('a node roost started dies with the process that started it, even when that one is SIGKILLed', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const { outDir } = await artifact
  const configFile = path.join(work, 'orphan.json')
  writeConfig(configFile, { ...defaultConfig(board), dataDir: path.join(work, 'orphan'), roles: [], bootstrap })
  // A parent that starts the node, prints its pid, and waits to be killed.
  const script = `import { startNode } from ${JSON.stringify(path.join(REPO_ROOT, 'tools', 'harness', 'local-node.ts'))}
const child = startNode(${JSON.stringify(outDir)}, 'bare', ${JSON.stringify(configFile)}, 'pipe')
child.stdout.once('data', () => console.log(child.pid))
setInterval(() => {}, 1000)`
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { parent.kill('SIGKILL') })
  const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d) => resolve(String(d).trim()))))
  t.true(alive(pid))
  parent.kill('SIGKILL')
  const deadline = Date.now() + 5000
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  if (alive(pid)) process.kill(pid, 'SIGKILL')
  t.false(alive(pid), 'the node outlived its parent')
})

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] !== 'Z'
  } catch {
    return false
  }
}

test.serial('a node whose log reader has gone still stops on SIGTERM', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const { outDir } = await artifact
  const configFile = path.join(work, 'deaf.json')
  writeConfig(configFile, { ...defaultConfig(board), dataDir: path.join(work, 'deaf'), roles: ['storage'], bootstrap })
  const child = spawn(path.join(outDir, 'bin', 'bare'), [path.join(outDir, 'roost-node.cjs'), '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  await new Promise<void>((resolve) => child.stdout!.on('data', (d) => { if (String(d).includes('"event":"ready"')) resolve() }))
  // Whoever read its log is gone: every write to stdout now fails with EPIPE.
  child.stdout!.destroy()
  await new Promise((resolve) => setTimeout(resolve, 200))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 3000))])
  t.is(code, 0)
})
