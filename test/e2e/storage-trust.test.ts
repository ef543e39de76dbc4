// Who may make the storage peer work, and how much: invites, pairing, revoking,
// quotas, the budget, deleting, and requests that must be refused cleanly. The real
// Bare node on a loopback testnet; the real CLI as the household's devices.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import test, { type ExecutionContext } from 'ava'
import crypto from 'hypercore-crypto'
import type { NodeConfigFile } from '../../node/config/types.ts'
import { formatInvite } from '../../node/trust/invites.ts'
import { loadHoldings, type HoldingEntry } from '../../node/storage/holdings.ts'
import { decodeKey, encodeKey } from '../../node/identity/keys.ts'
import { folderBytes } from '../../node/folder-bytes.ts'
import { REPO_ROOT } from '../../targets/bundle.ts'
import { connectToNode } from '../../tools/client/connect.ts'
import { watchNode } from '../../tools/harness/node-process.ts'
import { roost } from '../helpers/cli.ts'
import { cliKey, storageArtifact, storageNode as startStorageNode } from '../helpers/storage.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { tmpDir } from '../helpers/tmp.ts'
import { deviceAt } from '../../tools/client/device.ts'

const artifact = storageArtifact()
const storageNode = (t: ExecutionContext, work: string, name: string, config: Partial<NodeConfigFile>) => startStorageNode(t, artifact, work, name, config)

function folder (work: string, name: string, bytes: number): string {
  const dir = path.join(work, name)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'data.bin'), crypto.randomBytes(bytes))
  return dir
}

test.serial('an invite pairs a device once; reuse, expiry, a stranger\'s secret and a malformed invite are refused', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const { node, key, dataDir: storage } = await storageNode(t, work, 'home', { bootstrap })
  const net = ['--bootstrap', bootstrap[0]]
  const phone = path.join(work, 'phone')

  // Not trusted yet.
  const before = await roost(['status', '--peer', key, ...net], { home: phone })
  t.regex(before.stderr, /^NOT_TRUSTED: /m)

  const inv = await roost(['invite', '--storage', storage], { home: work })
  t.is(inv.code, 0, inv.stderr)
  const invite = inv.stdout.trim()
  t.regex(invite, /^roost-invite:/)
  const paired = await roost(['pair', invite, ...net], { home: phone })
  t.is(paired.code, 0, paired.stderr)
  t.true(paired.stdout.includes(cliKey(phone)))
  await node.waitFor('paired', 5000, (e) => e.peer === cliKey(phone))
  t.is((await roost(['status', '--peer', key, ...net], { home: phone })).code, 0)

  const again = await roost(['pair', invite, ...net], { home: path.join(work, 'thief') })
  t.regex(again.stderr, /^INVITE_USED: /m)

  const short = await roost(['invite', '--storage', storage, '--expires', '1s'], { home: work })
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const late = await roost(['pair', short.stdout.trim(), ...net], { home: path.join(work, 'late') })
  t.regex(late.stderr, /^INVITE_EXPIRED: /m)

  const forged = formatInvite({ nodeKey: decodeKey('node', key), secret: crypto.randomBytes(32) })
  t.regex((await roost(['pair', forged, ...net], { home: path.join(work, 'forger') })).stderr, /^INVITE_UNKNOWN: /m)
  const bad = await roost(['pair', 'roost-invite:nonsense', ...net], { home: phone })
  t.is(bad.code, 1)
  t.regex(bad.stderr, /^BAD_INVITE: /m)
  // None of the refused devices became trusted.
  const listed = await roost(['trust', 'ls', '--storage', storage], { home: work })
  t.deepEqual(listed.stdout.trim().split('\n').map((l) => l.split(' ')[0]), [cliKey(phone)])
})

test.serial('a revoked key can no longer keep cores; an untrusted key is refused, logged once, and the node keeps serving', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const { node, key, dataDir: storage } = await storageNode(t, work, 'home', { bootstrap })
  const net = ['--bootstrap', bootstrap[0]]
  const laptop = path.join(work, 'laptop')
  const stranger = path.join(work, 'stranger')
  const src = folder(work, 'docs', 10_000)

  for (let i = 0; i < 2; i++) {
    const refused = await roost(['backup', src, '--peer', key, ...net], { home: stranger })
    t.is(refused.code, 1)
    t.regex(refused.stderr, /^NOT_TRUSTED: /m)
  }
  t.is(node.events.filter((e) => e.event === 'refused' && e.peer === cliKey(stranger)).length, 1)

  const invite = (await roost(['invite', '--storage', storage], { home: work })).stdout.trim()
  t.is((await roost(['pair', invite, ...net], { home: laptop })).code, 0)
  t.is((await roost(['backup', src, '--peer', key, ...net], { home: laptop, timeoutMs: 60_000 })).code, 0)

  const removed = await roost(['trust', 'remove', cliKey(laptop), '--storage', storage], { home: work })
  t.is(removed.code, 0, removed.stderr)
  // The node re-reads its trusted keys every second.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const after = await roost(['backup', src, '--peer', key, ...net], { home: laptop })
  t.regex(after.stderr, /^NOT_TRUSTED: /m)
  const unknown = await roost(['trust', 'remove', cliKey(stranger), '--storage', storage], { home: work })
  t.regex(unknown.stderr, /^NOT_PAIRED: /m)
  // What the revoked key stored stays kept: revoking stops new work, it deletes nothing.
  t.is(recorded(storage).length, 1)
})

test.serial('quotas refuse with a reason the client sees; the budget evicts only evictable cores; dropping frees the disk', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const alice = path.join(work, 'alice')
  const bob = path.join(work, 'bob')
  const MiB = 1024 * 1024
  const { node, key, dataDir: storage } = await storageNode(t, work, 'home', {
    bootstrap,
    trustedKeys: [cliKey(alice), cliKey(bob)],
    storagePeer: { quotaCores: 2, quotaBytes: 9 * MiB, budgetBytes: 8 * MiB }
  })
  const net = ['--bootstrap', bootstrap[0]]
  const backup = (home: string, dir: string, ...extra: string[]) => roost(['backup', dir, '--peer', key, ...net, ...extra], { home, timeoutMs: 90_000 })

  // Per-key bytes: 10 MiB does not fit a 9 MiB quota.
  const tooBig = await backup(alice, folder(work, 'big', 10 * MiB))
  t.is(tooBig.code, 1)
  t.regex(tooBig.stderr, /^QUOTA_BYTES: this core \(\d+ bytes\) does not fit your quota: 0 of 9437184 bytes used$/m)

  // Per-key cores: the third is refused.
  const a1 = await backup(alice, folder(work, 'a1', 4 * MiB), '--evictable')
  t.is(a1.code, 0, a1.stderr)
  t.is((await backup(alice, folder(work, 'a2', 100_000))).code, 0)
  const a3 = await backup(alice, folder(work, 'a3', 1000))
  t.regex(a3.stderr, /^QUOTA_CORES: your key may keep at most 2 cores on this node and already keeps 2$/m)

  // The budget (8 MiB): bob's 4 MiB fits next to alice's 4.1 MiB only if her evictable 4 MiB goes.
  const b1 = await backup(bob, folder(work, 'b1', 4 * MiB))
  t.is(b1.code, 0, b1.stderr)
  await node.waitFor('evicted', 5000, (e) => e.owner === cliKey(alice))
  // Nothing evictable is left: bob's next 4 MiB is within his quota but not the budget.
  const b2 = await backup(bob, folder(work, 'b2', 4 * MiB))
  t.regex(b2.stderr, /^BUDGET_FULL: /m)

  // Dropping a core gives its blocks back to the disk.
  const held = recorded(storage)
  const bobs = held.find((h) => h.owner === cliKey(bob))!
  const coreKey = encodeKey(Buffer.from(bobs.key, 'hex'))
  t.regex((await roost(['drop', coreKey, '--peer', key, ...net], { home: alice })).stderr, /^NOT_OWNER: /m)
  const before = folderBytes(path.join(storage, 'cores'))
  const dropped = await roost(['drop', coreKey, '--peer', key, ...net], { home: bob })
  t.is(dropped.code, 0, dropped.stderr)
  const after = folderBytes(path.join(storage, 'cores'))
  t.log(`cores folder ${before} → ${after} bytes after dropping a ${bobs.byteLength}-byte core`)
  t.true(before - after >= bobs.byteLength * 0.9, `${before} → ${after}`)
})

test.serial('a malformed key, an absurd length and a core nobody serves are refused, leaving nothing behind', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const home = path.join(work, 'laptop')
  const { node, key, dataDir: storage } = await storageNode(t, work, 'home', { bootstrap, trustedKeys: [cliKey(home)], storagePeer: { findTimeoutMs: 2000 } })
  const net = ['--bootstrap', bootstrap[0]]

  const malformed = await roost(['keep', 'not-a-key', '--peer', key, ...net], { home })
  t.is(malformed.code, 1)
  t.regex(malformed.stderr, /^BAD_KEY: core key: "not-a-key" is not a public key/m)

  const session = await connectToNode(deviceAt(path.join(home, 'client'), { bootstrap }), key)
  t.teardown(() => session.close())
  const absurd = await t.throwsAsync(session.control.keep({ key: crypto.randomBytes(32), length: 2 ** 40, byteLength: 1, evictable: false }))
  t.is((absurd as Error & { code: string }).code, 'BAD_REQUEST')

  const nobody = encodeKey(crypto.randomBytes(32))
  const missing = await roost(['keep', nobody, '--peer', key, ...net], { home })
  t.is(missing.code, 1)
  t.regex(missing.stderr, new RegExp(`^CORE_UNAVAILABLE: no peer served core ${nobody} within 2 s`, 'm'))
  const { holdings } = await session.control.holdings()
  t.deepEqual(holdings, [])
  t.deepEqual(recorded(storage), [])
  // The node is still serving.
  t.is((await session.control.status()).storage?.cores, 0)
  t.false(node.events.some((e) => e.event === 'fatal'))
})

test.serial('roost run keeps cores by default for a device paired with roost invite; a config without the storage role turns it off', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const home = path.join(work, 'home')
  const laptop = path.join(work, 'laptop')
  const net = ['--bootstrap', bootstrap[0]]
  const started = await runInBackground(t, ['run', ...net], home)
  t.true((started.ready.roles as string[]).includes('storage'))
  const invite = (await roost(['invite'], { home })).stdout.trim()
  t.is((await roost(['pair', invite, ...net], { home: laptop })).code, 0)
  t.is((await roost(['backup', folder(work, 'docs', 70_000), '--peer', started.key, ...net], { home: laptop, timeoutMs: 60_000 })).code, 0)
  const status = await roost(['status', '--peer', started.key, ...net], { home: laptop })
  t.regex(status.stdout, /^kept +1 cores, \d+ of \d+ bytes budget/m)
  t.regex(status.stdout, /^[13-9a-km-uw-z]{52} +held +3\/3 +\d+ +\d{4}-/m)
  await started.stop()

  const yaml = path.join(work, 'node.yaml')
  fs.writeFileSync(yaml, 'roles: [relay]\n')
  const off = await runInBackground(t, ['run', '--config', yaml, ...net], path.join(work, 'home2'))
  t.deepEqual(off.ready.roles, ['relay'])
  const kept = await roost(['keep', encodeKey(crypto.randomBytes(32)), '--peer', off.key, ...net], { home: path.join(work, 'home2') })
  t.regex(kept.stderr, /^NO_STORAGE: /m)
})

async function runInBackground (t: ExecutionContext, args: string[], home: string): Promise<{ key: string, ready: Record<string, unknown>, stop (): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'roost.js'), ...args], { env: { ...process.env, ROOST_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const run = watchNode(child)
  const stop = async (): Promise<void> => {
    await run.stop(1000)
    try { process.kill(-child.pid!, 'SIGKILL') } catch {}
  }
  t.teardown(stop)
  const ready = await run.waitFor('ready', 60_000)
  return { key: String(ready.publicKey), ready, stop }
}

// What the node has recorded on disk as kept (its holdings file and journal, read the
// way the node reads them when it starts), as a crash would leave it.
function recorded (storage: string): HoldingEntry[] {
  return loadHoldings(storage).all()
}
