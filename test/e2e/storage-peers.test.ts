// The storage peer with the clients Pear and Keet apps use: the upstream
// `blind-peering` library adding cores to the real Bare node on a loopback testnet,
// trusted and untrusted, and the node's behaviour when its disk fills up.
import fs from 'node:fs'
import path from 'node:path'
import b4a from 'b4a'
import test, { type ExecutionContext } from 'ava'
import crypto from 'hypercore-crypto'
import type { NodeConfigFile } from '../../node/config/types.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { replicateFromHolders } from '../../tools/client/store.ts'
import { roost } from '../helpers/cli.ts'
import { blindPeering, controlSession, holdingOf, markedBlocks, readAll, replicateWithNode, sleep, startPeer, until } from '../helpers/peers.ts'
import { cliKey, scanFor, storageArtifact, storageNode as startStorageNode } from '../helpers/storage.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { tmpDir } from '../helpers/tmp.ts'
import { freeBytes, mountTmpfs } from '../helpers/tmpfs.ts'

const artifact = storageArtifact()
const storageNode = (t: ExecutionContext, work: string, name: string, config: Partial<NodeConfigFile>) => startStorageNode(t, artifact, work, name, config)

test.serial('a trusted blind-peering client keeps an encrypted core on the node; a third peer reads it from the node alone', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const writer = startPeer(t, bootstrap)
  const { node, key: nodeKey, dataDir: storage } = await storageNode(t, tmpDir(t), 'home', { bootstrap, trustedKeys: [writer.id] })

  const encryptionKey = crypto.randomBytes(32)
  const written = markedBlocks('PLAINTEXT-MARKER', 40, 4096)
  const core = writer.store.get({ name: 'notes', encryption: { key: encryptionKey } })
  await core.ready()
  await core.append(written)
  const coreKey = core.key
  const discoveryKey = core.discoveryKey

  const peering = blindPeering(t, writer, nodeKey)
  await peering.addCore(core, { announce: true })
  const control = (await controlSession(writer, nodeKey)).control
  const held = await until('the node to hold all 40 blocks', async () => {
    const h = await holdingOf(control, coreKey)
    return h && h.held === written.length && h.state === 'held' ? h : undefined
  })
  t.is(held.length, written.length)
  t.true(b4a.equals(held.owner, writer.keyPair.publicKey), 'the core is kept for the key that added it')
  const status = await control.status()
  t.like(status.storage, { cores: 1, diskFull: false })
  t.true(status.storage!.bytes >= written.length * 4096)
  await node.waitFor('keeping', 5000, (e) => e.owner === writer.id)

  // The writer goes offline; the reader knows only the core key and the encryption key.
  await peering.close()
  await writer.close()

  const reader = startPeer(t, bootstrap)
  const copy = reader.store.get({ key: coreKey, encryption: { key: encryptionKey } })
  await copy.ready()
  // Found through the DHT: the node announces the cores it keeps.
  const stop = replicateFromHolders(reader.dht, reader.store, discoveryKey, reader.keyPair, null)
  t.teardown(stop)
  await until('the reader to learn the core length', async () => (await copy.update({ wait: true })) || copy.length > 0 ? true : undefined)
  t.is(copy.length, written.length)
  const read = await readAll(copy, written.length, 20_000)
  t.deepEqual(read.map((b) => b4a.toString(b, 'hex')), written.map((b) => b4a.toString(b, 'hex')))
  t.false(scanFor(storage, 'PLAINTEXT-MARKER'), 'the node stores ciphertext only')
})

test.serial('an untrusted blind-peering client cannot add a core; the node is refused once in its log and keeps serving', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const trusted = startPeer(t, bootstrap)
  const stranger = startPeer(t, bootstrap)
  const { node, key: nodeKey, dataDir: storage } = await storageNode(t, tmpDir(t), 'home', { bootstrap, trustedKeys: [trusted.id] })

  // Unencrypted, so a scan of the node's storage would find the blocks if it kept them.
  const strangerCore = stranger.store.get({ name: 'junk' })
  await strangerCore.ready()
  await strangerCore.append(markedBlocks('STRANGER-MARKER', 20, 2048))
  const strangerPeering = blindPeering(t, stranger, nodeKey)
  await strangerPeering.addCore(strangerCore, { announce: true })
  const refused = await node.waitFor('refused', 20_000, (e) => e.peer === stranger.id)
  t.like(refused, { request: 'blind-peer add-cores', reason: 'key not trusted' })

  // It tries again: another core on the same connection, and a second connection.
  const second = stranger.store.get({ name: 'junk-2' })
  await second.ready()
  await second.append(markedBlocks('STRANGER-MARKER', 5, 2048))
  await strangerPeering.addCore(second, { announce: true })
  const again = blindPeering(t, stranger, nodeKey)
  await again.addCore(strangerCore, { announce: true })
  await sleep(3000)
  t.is(node.events.filter((e) => e.event === 'refused' && e.peer === stranger.id).length, 1, 'a retrying key is logged once')

  // The node still serves a trusted client: it keeps that client's core.
  const control = (await controlSession(trusted, nodeKey)).control
  t.like((await control.status()).storage, { cores: 0 })
  t.deepEqual((await control.holdings()).holdings, [])
  const core = trusted.store.get({ name: 'notes', encryption: { key: crypto.randomBytes(32) } })
  await core.ready()
  await core.append(markedBlocks('TRUSTED-MARKER', 10, 1024))
  await blindPeering(t, trusted, nodeKey).addCore(core, { announce: true })
  await until('the trusted core to be held', async () => (await holdingOf(control, core.key))?.held === 10 ? true : undefined)
  t.like((await control.status()).storage, { cores: 1 })
  t.false(node.events.some((e) => e.event === 'keeping' && e.owner === stranger.id))
  t.false(scanFor(storage, 'STRANGER-MARKER'), 'no block of the untrusted key is on the node\'s disk')
})

const MiB = 1024 * 1024

test.serial('on a full disk the node takes no new cores and stops downloads, serves what it holds, and resumes when space returns', async (t) => {
  const disk = mountTmpfs(t, 64 * MiB)
  if (!disk) return t.pass()
  const { bootstrap } = await startTestnet(t)
  const writer = startPeer(t, bootstrap)
  const laptop = tmpDir(t)
  const laptopId = cliKey(laptop)
  // Resuming needs 1.25 × the reserve free, so the reserve must leave room for that.
  const reserveBytes = 24 * MiB
  const { node, key: nodeKey } = await storageNode(t, disk, 'home', {
    bootstrap, trustedKeys: [writer.id, laptopId], storagePeer: { reserveBytes }
  })
  t.false(node.events.some((e) => e.event === 'disk-full'), `${freeBytes(disk)} bytes free at start`)

  const session = await controlSession(writer, nodeKey)
  writer.store.replicate(session.socket)
  const { control } = session
  const photosKey = crypto.randomBytes(32)
  const photos = writer.store.get({ name: 'photos', encryption: { key: photosKey } })
  const diary = writer.store.get({ name: 'diary', encryption: { key: crypto.randomBytes(32) } })
  await photos.ready()
  await diary.ready()
  const photoBlocks = markedBlocks('PHOTO', 30, 16 * 1024)
  await photos.append(photoBlocks)
  await diary.append(markedBlocks('DIARY', 10, 4096))
  for (const core of [photos, diary]) {
    await control.keep({ key: core.key, length: core.length, byteLength: core.byteLength, evictable: false })
    await until('the node to hold the core', async () => (await holdingOf(control, core.key))?.state === 'held' ? true : undefined)
  }

  // Fill the disk until less than the reserve is free.
  const ballast = path.join(disk, 'ballast')
  fs.writeFileSync(ballast, Buffer.alloc(freeBytes(disk) - 16 * MiB, 1))
  const full = await node.waitFor('disk-full', 10_000)
  t.like(full, { reserveBytes })
  t.true(Number(full.freeBytes) < reserveBytes)
  t.like((await control.status()).storage, { diskFull: true, cores: 2 })

  // A new core is refused with a reason the household's CLI shows.
  const newCore = encodeKey(crypto.keyPair().publicKey)
  const refused = await roost(['keep', newCore, '--peer', nodeKey, '--bootstrap', bootstrap[0]], { home: laptop })
  t.is(refused.code, 1, refused.stdout)
  t.regex(refused.stderr, /^DISK_FULL: the node's disk is full; it takes no new cores until space returns$/m)
  const err = await control.keep({ key: crypto.keyPair().publicKey, length: 0, byteLength: 0, evictable: false }).then(() => null, (e: Error & { code?: string }) => e)
  t.is(err?.code, 'DISK_FULL')

  // The diary grows while the disk is full: the node learns of it but fetches nothing.
  await diary.append(markedBlocks('DIARY', 40, 4096))
  await sleep(3000)
  const stalled = await holdingOf(control, diary.key)
  t.is(stalled?.held, 10)
  t.is(stalled?.state, 'disk-full')

  // What the node holds is still served: a reader connected to the node alone reads it.
  const reader = startPeer(t, bootstrap)
  const copy = reader.store.get({ key: photos.key, encryption: { key: photosKey } })
  await copy.ready()
  replicateWithNode(reader, nodeKey)
  await until('the reader to see the photos core', async () => { await copy.update({ wait: true }); return copy.length > 0 ? true : undefined })
  const read = await readAll(copy, photoBlocks.length, 20_000)
  t.true(read.every((block, i) => b4a.equals(block, photoBlocks[i])))

  // Space returns: the node says so and fetches the rest of the diary.
  fs.rmSync(ballast)
  await node.waitFor('disk-space-back', 10_000)
  t.like((await control.status()).storage, { diskFull: false })
  const caughtUp = await until('the diary to be held again', async () => {
    const h = await holdingOf(control, diary.key)
    return h?.held === 50 && h.state === 'held' ? h : undefined
  })
  t.is(caughtUp.length, 50)
  const letters = writer.store.get({ name: 'letters', encryption: { key: crypto.randomBytes(32) } })
  await letters.ready()
  await letters.append(markedBlocks('LETTER', 5, 1024))
  await control.keep({ key: letters.key, length: letters.length, byteLength: letters.byteLength, evictable: false })
  await until('the new core to be held', async () => (await holdingOf(control, letters.key))?.state === 'held' ? true : undefined)
  t.false(node.events.some((e) => e.event === 'unparsed-output' || /ENOSPC|crash|uncaught/i.test(JSON.stringify(e))), 'no storage error in the log')
})

test.serial('a kept core that grew while the disk was full, offered by a writer that then stays idle, is fetched when space returns', async (t) => {
  const disk = mountTmpfs(t, 64 * MiB)
  if (!disk) return t.pass()
  const { bootstrap } = await startTestnet(t)
  const writer = startPeer(t, bootstrap)
  // The household's operator watches the node; holdings shows it every user's cores.
  const operator = startPeer(t, bootstrap)
  const reserveBytes = 24 * MiB
  const { node, key: nodeKey } = await storageNode(t, disk, 'home', { bootstrap, trustedKeys: [writer.id], operatorKey: operator.id, storagePeer: { reserveBytes } })
  const journal = writer.store.get({ name: 'journal', encryption: { key: crypto.randomBytes(32) } })
  await journal.ready()
  await journal.append(markedBlocks('JOURNAL', 10, 4096))

  // Kept while the writer is online; then the writer leaves and the node closes the core.
  const first = await controlSession(writer, nodeKey)
  writer.store.replicate(first.socket)
  await first.control.keep({ key: journal.key, length: journal.length, byteLength: journal.byteLength, evictable: false })
  await until('the journal to be held', async () => (await holdingOf(first.control, journal.key))?.state === 'held' ? true : undefined)
  first.close()
  const { control } = await controlSession(operator, nodeKey)
  await until('the node to close the synced core', async () => (await control.status()).storage?.syncing === 0 ? true : undefined, 15_000)

  const ballast = path.join(disk, 'ballast')
  fs.writeFileSync(ballast, Buffer.alloc(freeBytes(disk) - 16 * MiB, 1))
  await node.waitFor('disk-full', 10_000)

  // The writer comes back with 20 new blocks while the disk is full, and stays connected.
  await journal.append(markedBlocks('JOURNAL', 20, 4096))
  const second = await controlSession(writer, nodeKey)
  writer.store.replicate(second.socket)
  await sleep(3000)
  t.like(await holdingOf(control, journal.key), { held: 10 })

  fs.rmSync(ballast)
  await node.waitFor('disk-space-back', 10_000)
  const caughtUp = await until('the journal to be held at 30 blocks', async () => {
    const h = await holdingOf(control, journal.key)
    return h?.held === 30 && h.state === 'held' ? h : undefined
  }, 20_000)
  t.is(caughtUp.length, 30)
})

test.serial('a core larger than the free disk is refused up front, naming the room there is', async (t) => {
  const disk = mountTmpfs(t, 64 * MiB)
  if (!disk) return t.pass()
  const { bootstrap } = await startTestnet(t)
  const writer = startPeer(t, bootstrap)
  const { key: nodeKey } = await storageNode(t, disk, 'home', { bootstrap, trustedKeys: [writer.id], storagePeer: { reserveBytes: 8 * MiB } })
  const { control } = await controlSession(writer, nodeKey)
  const refused = await t.throwsAsync(control.keep({ key: crypto.randomBytes(32), length: 1280, byteLength: 80 * MiB, evictable: false }))
  t.is((refused as Error & { code: string }).code, 'DISK_FULL')
  t.regex(refused!.message, /^the node's disk has room for \d+ more bytes, not 83886080$/)
  t.deepEqual((await control.holdings()).holdings, [])
})

test.serial('a download that rocksdb stopped with ENOSPC resumes when space returns, the writer staying connected and idle', async (t) => {
  const disk = mountTmpfs(t, 64 * MiB)
  if (!disk) return t.pass()
  const { bootstrap } = await startTestnet(t)
  const writer = startPeer(t, bootstrap)
  // No reserve, so that only rocksdb stops the download. A reserve below what one rocksdb
  // flush needs (a 4 MiB memtable into a blob file while a 4.4 MiB write-ahead log is
  // allocated up front) does not prevent ENOSPC either, but with 256 KiB the disk check
  // sometimes caught the disk at 0 bytes and restarted the download itself.
  const reserveBytes = 0
  const { node, key: nodeKey, dataDir: storage } = await storageNode(t, disk, 'home', { bootstrap, trustedKeys: [writer.id], storagePeer: { reserveBytes } })
  const session = await controlSession(writer, nodeKey)
  writer.store.replicate(session.socket)
  const { control } = session
  const video = writer.store.get({ name: 'video', encryption: { key: crypto.randomBytes(32) } })
  await video.ready()
  await video.append(markedBlocks('VIDEO', 4, 64 * 1024))
  await control.keep({ key: video.key, length: video.length, byteLength: video.byteLength, evictable: false })
  await until('the small core to be held', async () => (await holdingOf(control, video.key))?.state === 'held' ? true : undefined)

  // 30 MiB free; the kept core then grows by 36 MiB while the writer stays connected. In
  // one append: news of a block that reaches the node while rocksdb refuses writes makes
  // it drop the connection (measured), and then only the writer's coming back would help.
  const ballast = path.join(disk, 'ballast')
  fs.writeFileSync(ballast, Buffer.alloc(freeBytes(disk) - 30 * MiB, 1))
  await video.append(markedBlocks('VIDEO', 576, 64 * 1024))
  const rocksLog = path.join(storage, 'cores', 'db', 'LOG')
  await until('rocksdb to run out of space', () => /No space left on device/.test(fs.readFileSync(rocksLog, 'utf8')) ? true : undefined, 20_000)
  const stopped = await holdingOf(control, video.key)
  t.true(stopped!.held < video.length, `held ${stopped?.held} of ${video.length} blocks`)

  // Space returns; the writer appends nothing more and stays connected.
  fs.rmSync(ballast)
  const caughtUp = await until('the core to be held whole', async () => {
    const h = await holdingOf(control, video.key)
    return h?.held === video.length && h.state === 'held' ? h : undefined
  }, 75_000, 1000)
  t.is(caughtUp.length, 580)
  t.truthy(node.events.find((e) => e.event === 'sync-stalled'), 'resumed by the stall check')
})

test.serial('a stranger who asks for every kept core gets at most maxPeerCores of them opened on the node', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const owner = startPeer(t, bootstrap)
  const observer = startPeer(t, bootstrap)
  const { node, key: nodeKey } = await storageNode(t, tmpDir(t), 'home', { bootstrap, trustedKeys: [owner.id, observer.id], storagePeer: { maxPeerCores: 8 } })
  const session = await controlSession(owner, nodeKey)
  owner.store.replicate(session.socket)
  const keys: Uint8Array[] = []
  for (let i = 0; i < 20; i++) {
    const core = owner.store.get({ name: `c${i}`, encryption: { key: crypto.randomBytes(32) } })
    await core.ready()
    await core.append(b4a.from(`block of core ${i}`))
    await session.control.keep({ key: core.key, length: 1, byteLength: core.byteLength, evictable: false })
    keys.push(core.key)
  }
  await until('all 20 held', async () => (await session.control.holdings()).holdings.filter((h) => h.state === 'held').length === 20 ? true : undefined)
  session.close()
  await owner.close()
  const watch = await controlSession(observer, nodeKey)
  await until('every core closed once the owner left', async () => (await watch.control.status()).storage!.openCores === 0 ? true : undefined, 30_000, 500)

  // The stranger knows the 20 keys (discovery keys are public on the DHT) and asks for all.
  const stranger = startPeer(t, bootstrap)
  const socket = replicateWithNode(stranger, nodeKey)
  t.teardown(() => socket.destroy())
  const cores = keys.map((key) => stranger.store.get({ key }))
  await Promise.all(cores.map((c) => c.ready()))
  await sleep(3000)
  const served = cores.filter((c) => c.length > 0).length
  const open = (await watch.control.status()).storage!.openCores
  t.true(open <= 8, `${open} cores open`)
  t.true(served <= 8 && served > 0, `${served} cores served`)
  await node.waitFor('peer-cores-limited', 5000)
})
