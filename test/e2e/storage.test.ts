// The home storage peer end to end on the real things: the Bare artifact keeping
// cores on a loopback testnet, the real `roost` CLI as the household's devices.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import test, { type ExecutionContext } from 'ava'
import { parseBootstrap } from '../../node/config/bootstrap.ts'
import type { NodeConfigFile } from '../../node/config/types.ts'
import type { ControlChannel } from '../../node/protocol/channel.ts'
import type { Holding } from '../../node/protocol/storage-messages.ts'
import { createDht } from '../../node/network/dht.ts'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { REPO_ROOT } from '../../targets/bundle.ts'
import { connectToNode } from '../../tools/client/connect.ts'
import { openClientStore } from '../../tools/client/store.ts'
import { roost } from '../helpers/cli.ts'
import { holdingOf, until } from '../helpers/peers.ts'
import { cliKey, scanFor, storageArtifact, storageNode as startStorageNode } from '../helpers/storage.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { tmpDir } from '../helpers/tmp.ts'
import { deviceAt } from '../../tools/client/device.ts'

const artifact = storageArtifact()
const storageNode = (t: ExecutionContext, work: string, name: string, config: Partial<NodeConfigFile>) => startStorageNode(t, artifact, work, name, config)

test.serial('backup keeps a folder on the node; restore brings it back from the node alone', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const laptop = path.join(work, 'laptop')
  const phone = path.join(work, 'phone')
  const { key, dataDir: storage } = await storageNode(t, work, 'home', { bootstrap, trustedKeys: [cliKey(laptop)] })

  const src = path.join(work, 'photos')
  fs.mkdirSync(path.join(src, '2026'), { recursive: true })
  fs.writeFileSync(path.join(src, 'notes.txt'), 'PLAINTEXT-MARKER-notes')
  fs.writeFileSync(path.join(src, '2026', 'big.bin'), Buffer.alloc(300_000, 7))
  const b = await roost(['backup', src, '--peer', key, '--bootstrap', bootstrap[0]], { home: laptop, timeoutMs: 120_000 })
  t.is(b.code, 0, b.stderr)
  const ref = b.stdout.trim()
  t.regex(ref, /^roost-backup:/)
  t.regex(b.stderr, /node holds 7\/7 blocks/)

  // The laptop is gone (its process has exited); the phone restores from the node.
  const out = path.join(work, 'restored')
  const r = await roost(['restore', ref, out, '--bootstrap', bootstrap[0]], { home: phone, timeoutMs: 120_000 })
  t.is(r.code, 0, r.stderr)
  t.regex(r.stderr, /restored 7\/7 blocks/)
  t.is(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'PLAINTEXT-MARKER-notes')
  t.deepEqual(fs.readFileSync(path.join(out, '2026', 'big.bin')), Buffer.alloc(300_000, 7))
  t.false(scanFor(storage, 'PLAINTEXT-MARKER'))
})

// Runs a test fixture (test/fixtures/NAME.ts) under Node.js; killed when the test ends.
function fixture (t: ExecutionContext, name: string, args: string[]): { child: ChildProcess, next (): Promise<Record<string, unknown>> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test', 'fixtures', `${name}.ts`), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const lines: string[] = []
  let waiter: (() => void) | null = null
  let stderr = ''
  let buffered = ''
  child.stderr!.on('data', (d) => { stderr += d })
  child.stdout!.on('data', (d) => {
    buffered += d
    let i
    while ((i = buffered.indexOf('\n')) !== -1) {
      lines.push(buffered.slice(0, i))
      buffered = buffered.slice(i + 1)
    }
    waiter?.()
  })
  child.on('exit', () => waiter?.())
  return {
    child,
    async next () {
      while (lines.length === 0) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited: ${stderr}`)
        await new Promise<void>((resolve) => { waiter = resolve })
        waiter = null
      }
      return JSON.parse(lines.shift()!) as Record<string, unknown>
    }
  }
}

test.serial('the story: the laptop writes, the node follows it while online, the phone reads everything from the node after the laptop is gone', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const laptopId = path.join(work, 'laptop-id')
  const { node, key, dataDir: storage } = await storageNode(t, work, 'home', { bootstrap, trustedKeys: [encodeKey(loadOrCreateIdentity(laptopId).keyPair.publicKey)] })

  const laptop = fixture(t, 'laptop', [bootstrap[0], key, laptopId, path.join(work, 'laptop-store')])
  t.is((await laptop.next()).length, 50)
  // The laptop wrote 50 more blocks after the node had the first 50, and stayed online.
  const written = await laptop.next()
  t.is(written.length, 100)
  await node.waitFor('core-held', 10_000, (e) => e.length === 100)
  laptop.child.kill('SIGKILL')
  await new Promise((resolve) => laptop.child.once('exit', resolve))

  const phone = fixture(t, 'phone', [bootstrap[0], String(written.key), String(written.encryptionKey), path.join(work, 'phone-id'), path.join(work, 'phone-store')])
  const read = await phone.next()
  t.is(read.length, 100)
  t.is(read.sha256, written.sha256)
  // The node holds ciphertext only: no marker the laptop wrote is anywhere in its storage.
  t.false(scanFor(storage, 'PLAINTEXT-MARKER'))
  // The board's memtable size (16 MiB on this 256 MiB board) reached the node's rocksdb.
  const db = path.join(storage, 'cores', 'db')
  const options = fs.readFileSync(path.join(db, fs.readdirSync(db).filter((f) => f.startsWith('OPTIONS-')).sort().pop()!), 'utf8')
  t.deepEqual([...options.matchAll(/^\s*write_buffer_size=(.*)$/gm)].map((m) => m[1]), [String(16 * 1024 * 1024), String(16 * 1024 * 1024)])
})


test.serial('a source that disconnects mid-transfer: the node finds another holder on the DHT and completes the core', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const partialId = loadOrCreateIdentity(path.join(work, 'partial-id')).keyPair
  const { key: nodeKey } = await storageNode(t, work, 'home', { bootstrap, trustedKeys: [encodeKey(partialId.publicKey)] })
  const nodes = bootstrap.map(parseBootstrap)

  // The writer, offline: 64 blocks. The partial holder has only the first 32 of them;
  // the full holder has all of them.
  const writerStore = openClientStore(path.join(work, 'writer'))
  const partialStore = openClientStore(path.join(work, 'partial'))
  const fullStore = openClientStore(path.join(work, 'full'))
  t.teardown(async () => { for (const s of [writerStore, partialStore, fullStore]) await s.close().catch(() => {}) })
  const writer = writerStore.get({ name: 'big' })
  await writer.ready()
  for (let i = 0; i < 64; i++) await writer.append(Buffer.alloc(16_384, i))
  const partial = partialStore.get({ key: writer.key })
  const full = fullStore.get({ key: writer.key })
  await copy(writerStore, partialStore, partial, 0, 32)
  await copy(writerStore, fullStore, full, 0, 64)

  // The partial holder asks the node to keep the core and serves what it has.
  const partialDht = createDht({ bootstrap: nodes, host: null, keyPair: partialId })
  t.teardown(() => partialDht.destroy({ force: true }))
  const session = await connectToNode(deviceAt(path.join(work, 'partial-id'), { bootstrap }), nodeKey)
  t.teardown(() => session.close())
  partialStore.replicate(session.socket)
  await session.control.keep({ key: writer.key, length: 64, byteLength: writer.byteLength, evictable: false })
  await waitForHeld(session, writer.key, (h) => h.held === 32)

  // A full holder announces the core; the partial holder goes away mid-transfer.
  const fullDht = createDht({ bootstrap: nodes, host: null })
  t.teardown(() => fullDht.destroy({ force: true }))
  const server = fullDht.createServer((socket) => { fullStore.replicate(socket) })
  await server.listen(fullDht.defaultKeyPair)
  await fullDht.announce(full.discoveryKey, fullDht.defaultKeyPair, server.relayAddresses).finished()
  session.socket.destroy()

  const check = await connectToNode(deviceAt(path.join(work, 'partial-id'), { bootstrap }), nodeKey)
  t.teardown(() => check.close())
  const done = await waitForHeld(check, writer.key, (h) => h.held === 64)
  t.is(done.state, 'held')
})

async function copy (from: ReturnType<typeof openClientStore>, to: ReturnType<typeof openClientStore>, core: ReturnType<ReturnType<typeof openClientStore>['get']>, start: number, end: number): Promise<void> {
  const a = from.replicate(true) as NodeJS.ReadWriteStream
  const b = to.replicate(false) as NodeJS.ReadWriteStream
  a.pipe(b).pipe(a)
  await core.ready()
  await core.download({ start, end }).done()
  ;(a as unknown as { destroy (): void }).destroy()
  ;(b as unknown as { destroy (): void }).destroy()
}

function waitForHeld (session: { control: ControlChannel }, key: Uint8Array, done: (h: Holding) => boolean): Promise<Holding> {
  return until('the node to get there', async () => {
    const h = await holdingOf(session.control, key)
    return h && done(h) ? h : undefined
  })
}

test.serial('a kept core that grows past its owner\'s quota stops at the quota: the node says so and keeps what it has', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const id = loadOrCreateIdentity(path.join(work, 'laptop-id')).keyPair
  const { node, key: nodeKey } = await storageNode(t, work, 'home', { bootstrap, trustedKeys: [encodeKey(id.publicKey)], storagePeer: { quotaBytes: 1024 * 1024 } })
  const store = openClientStore(path.join(work, 'laptop'))
  t.teardown(() => store.close())
  const core = store.get({ name: 'growing' })
  await core.ready()
  for (let i = 0; i < 8; i++) await core.append(Buffer.alloc(65_536, i))
  const session = await connectToNode(deviceAt(path.join(work, 'laptop-id'), { bootstrap }), nodeKey)
  t.teardown(() => session.close())
  store.replicate(session.socket)
  await session.control.keep({ key: core.key, length: core.length, byteLength: core.byteLength, evictable: false })
  await waitForHeld(session, core.key, (h) => h.held === 8)

  // 1.5 MiB more takes the core to 2 MiB, past its owner's 1 MiB quota.
  for (let i = 0; i < 24; i++) await core.append(Buffer.alloc(65_536, i))
  const over = await waitForHeld(session, core.key, (h) => h.state === 'over-quota')
  t.true(over.held >= 8 && over.held < 32, `held ${over.held}`)
  await node.waitFor('quota-reached', 5000, (e) => e.owner === encodeKey(id.publicKey))
  t.is((await session.control.status()).storage?.cores, 1)
})
