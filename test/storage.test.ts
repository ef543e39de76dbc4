// The home storage peer end to end on the real things: the Bare artifact keeping
// cores on a loopback testnet, the real `roost` CLI as the household's devices.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import test from 'ava'
import { loadBoard } from '../tools/boards.ts'
import { buildLocal } from '../tools/local-node.ts'
import { roost } from './helpers/cli.ts'
import { launchNode } from './helpers/nodes.ts'
import { startTestnet } from './helpers/testnet.ts'
import { tmpDir } from './helpers/tmp.ts'

const board = loadBoard('x86-64-mini-pc')
const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-storage-build-'))
const artifact = buildLocal(board, 'bare', path.join(buildDir, 'artifact'))
test.after.always(() => fs.rmSync(buildDir, { recursive: true, force: true }))

async function storageNode (t: Parameters<typeof launchNode>[0], work: string, name: string, config: Parameters<typeof launchNode>[1]['config']) {
  const { outDir } = await artifact
  const node = launchNode(t, { artifactDir: outDir, runtime: 'bare', board, work, name, config: { roles: ['storage'], ...config } })
  const ready = await node.waitFor('ready', 30_000)
  return { node, key: String(ready.publicKey), storage: path.join(work, name) }
}

async function clientKey (home: string): Promise<string> {
  const r = await roost(['id'], { home })
  return r.stdout.trim()
}

test.serial('backup keeps a folder on the node; restore brings it back from the node alone', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const laptop = path.join(work, 'laptop')
  const phone = path.join(work, 'phone')
  const { key, storage } = await storageNode(t, work, 'home', { bootstrap, trustedKeys: [await clientKey(laptop)] })

  const src = path.join(work, 'photos')
  fs.mkdirSync(path.join(src, '2026'), { recursive: true })
  fs.writeFileSync(path.join(src, 'notes.txt'), 'PLAINTEXT-MARKER-notes')
  fs.writeFileSync(path.join(src, '2026', 'big.bin'), Buffer.alloc(300_000, 7))
  let t0 = Date.now()
  const b = await roost(['backup', src, '--peer', key, '--bootstrap', bootstrap[0]], { home: laptop, timeoutMs: 120_000 })
  t.is(b.code, 0, b.stderr)
  const ref = b.stdout.trim()
  t.regex(ref, /^roost-backup:/)
  t.log('backup ms', Date.now() - t0, b.stderr)
  t0 = Date.now()

  // The laptop is gone (its process has exited); the phone restores from the node.
  const out = path.join(work, 'restored')
  const r = await roost(['restore', ref, out, '--bootstrap', bootstrap[0]], { home: phone, timeoutMs: 120_000 })
  t.is(r.code, 0, r.stderr)
  t.log('restore ms', Date.now() - t0, r.stderr)
  t.is(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'PLAINTEXT-MARKER-notes')
  t.deepEqual(fs.readFileSync(path.join(out, '2026', 'big.bin')), Buffer.alloc(300_000, 7))
  t.false(scan(storage, 'PLAINTEXT-MARKER'))
})

// True when any file under dir contains the marker.
function scan (dir: string, marker: string): boolean {
  const needle = Buffer.from(marker)
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue
    if (fs.readFileSync(path.join(e.parentPath, e.name)).includes(needle)) return true
  }
  return false
}
