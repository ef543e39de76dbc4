// Backing a folder up to a node and restoring it anywhere: the folder is written into a
// new hypercore block-encrypted on this device (archive.ts lays it out), the node keeps
// the ciphertext, and the restore reference carries the keys to read it back.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import { createDht } from '../../node/network/dht.ts'
import { useRelays } from '../../node/network/relays.ts'
import { decodeKey, encodeKey } from '../../node/identity/keys.ts'
import { readArchive, writeArchive } from './archive.ts'
import { formatBackupRef, parseBackupRef } from './backup-ref.ts'
import { connectToNode } from './connect.ts'
import type { Device } from './device.ts'
import { ClientError } from './errors.ts'
import { waitUntilHeld } from './keep.ts'
import { openClientStore, replicateFromHolders, waitForLength } from './store.ts'

export interface BackupOptions {
  // The node may drop this backup to make room for others.
  evictable?: boolean
  // How long to wait for the node to hold every block.
  timeoutMs: number
  // Progress, one line at a time.
  say?: (line: string) => void
}

// Writes the folder into a new encrypted core, has the node keep it, and returns the
// restore reference once the node holds every block. A copy of the reference goes to
// backups.jsonl beside the device's store (mode 0600): it is the only way to read the backup.
export async function backupFolder (device: Device, dirPath: string, nodeKey: string, opts: BackupOptions): Promise<string> {
  const say = opts.say ?? (() => {})
  const dir = path.resolve(dirPath)
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw ClientError.NOT_A_FOLDER(dir)
  const node = decodeKey('node key', nodeKey)
  const encryptionKey = crypto.randomBytes(32)
  const store = openClientStore(device.storeDir)
  const core = store.get({ name: `roost/backup/${Date.now()}-${b4a.toString(crypto.randomBytes(8), 'hex')}`, encryption: { key: encryptionKey } })
  await core.ready()
  let ref: string
  try {
    const { files, bytes } = await writeArchive(core, dir, () => {})
    say(`wrote ${files} files, ${bytes} bytes into ${core.length} blocks`)
    ref = formatBackupRef({ coreKey: core.key, encryptionKey, nodeKey: node })
    recordBackup(device.storeDir, dir, ref)
    const session = await connectToNode(device, node)
    try {
      store.replicate(session.socket)
      await session.control.keep({ key: core.key, length: core.length, byteLength: core.byteLength, evictable: opts.evictable === true })
      let lastShown = 0
      await waitUntilHeld(session, core.key, core.length, (held) => {
        if (held === core.length || Date.now() - lastShown > 1000) {
          lastShown = Date.now()
          say(`node holds ${held}/${core.length} blocks`)
        }
      }, opts.timeoutMs)
    } finally {
      await session.close()
    }
  } finally {
    await core.close()
    await store.close()
  }
  say(`node ${encodeKey(node)} holds every block; restore with: roost restore REF DIR`)
  return ref
}

function recordBackup (storeDir: string, dir: string, ref: string): void {
  const file = path.join(path.dirname(storeDir), 'backups.jsonl')
  const fd = fs.openSync(file, 'a', 0o600)
  try {
    fs.writeSync(fd, JSON.stringify({ at: new Date().toISOString(), folder: dir, ref }) + '\n')
  } finally {
    fs.closeSync(fd)
  }
  fs.chmodSync(file, 0o600)
}

export interface RestoreOptions {
  // Give up when no peer serves the backup for this long.
  timeoutMs: number
  say?: (line: string) => void
}

// Fetches the backup from wherever it is available (the node that keeps it, or any peer
// announcing it), decrypts it here and moves the folder into place only when it is whole.
export async function restoreBackup (device: Device, refText: string, dirPath: string, opts: RestoreOptions): Promise<{ files: number, bytes: number, out: string }> {
  const say = opts.say ?? (() => {})
  const ref = parseBackupRef(refText)
  const out = path.resolve(dirPath)
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0) throw ClientError.FOLDER_NOT_EMPTY(out)
  const dht = createDht({ bootstrap: device.bootstrap, host: device.host, ephemeral: true, keyPair: device.keyPair })
  const relays = useRelays(dht, device.relays)
  // Fetched into a throwaway store and a sibling folder, moved into place only when whole.
  const tmpStore = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-restore-'))
  const partial = `${out}.partial-${process.pid}`
  const store = openClientStore(tmpStore)
  const core = store.get({ key: ref.coreKey, encryption: { key: ref.encryptionKey } })
  let stop = (): void => {}
  try {
    await core.ready()
    if (relays.keys.length > 0) await dht.fullyBootstrapped()
    stop = replicateFromHolders(dht, store, core.discoveryKey, device.keyPair, ref.nodeKey, relays)
    const found = await waitForLength(core, opts.timeoutMs)
    if (!found) throw ClientError.BACKUP_NOT_FOUND(encodeKey(ref.coreKey), opts.timeoutMs / 1000)
    say(`found ${core.length} blocks (${core.byteLength} bytes)`)
    let shown = 0
    await core.download({ start: 0, end: core.length }).done()
    fs.mkdirSync(partial, { recursive: true })
    const { files, bytes } = await readArchive(core, partial, (done, total) => {
      if (done === total || Date.now() - shown > 1000) {
        shown = Date.now()
        say(`restored ${done}/${total} blocks`)
      }
    })
    fs.rmSync(out, { recursive: true, force: true })
    fs.renameSync(partial, out)
    return { files, bytes, out }
  } finally {
    stop()
    fs.rmSync(partial, { recursive: true, force: true })
    await core.close().catch(() => {})
    await store.close().catch(() => {})
    await dht.destroy({ force: true })
    fs.rmSync(tmpStore, { recursive: true, force: true })
  }
}
