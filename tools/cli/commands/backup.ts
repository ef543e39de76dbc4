import fs from 'node:fs'
import path from 'node:path'
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import { decodeKey, encodeKey } from '../../../node/identity/keys.ts'
import { intFlag, stringFlag, usageError, type CommandSpec, type ParsedFlags } from '../args.ts'
import { writeArchive } from '../../client/archive.ts'
import { formatBackupRef } from '../../client/backup-ref.ts'
import { connectToNode, NETWORK_FLAGS } from '../../client/connect.ts'
import { clientStoreDir, openClientStore, waitUntilHeld } from '../../client/store.ts'
import { ClientError } from '../../client/errors.ts'

export const spec: CommandSpec = {
  name: 'backup',
  summary: 'Write a folder into a new encrypted hypercore on this device, ask a node to keep it, and\n' +
    'return when the node holds every block. Prints one restore reference: it carries the keys to\n' +
    'read the backup, so keep it like a password (a copy goes to backups.jsonl, mode 0600).',
  usage: 'roost backup DIR --peer NODE_KEY [--evictable] [--timeout SECONDS] [--bootstrap HOST:PORT]',
  positionals: 1,
  flags: {
    peer: { type: 'string', value: 'NODE_KEY', help: 'the node to keep the backup on' },
    evictable: { type: 'boolean', help: 'the node may drop this backup to make room for others' },
    timeout: { type: 'string', value: 'SECONDS', help: 'how long to wait for the node to hold every block (default: 600)' },
    ...NETWORK_FLAGS
  }
}

export async function run (flags: ParsedFlags, positionals: string[]): Promise<number> {
  const [dirText] = positionals
  const nodeKey = stringFlag(flags, 'peer')
  if (!dirText) throw usageError('backup', 'missing DIR (the folder to back up)')
  if (!nodeKey) throw usageError('backup', 'missing --peer NODE_KEY')
  const ref = await backupFolder(flags, dirText, nodeKey, (line) => process.stderr.write(line + '\n'))
  process.stdout.write(`${ref}\n`)
  return 0
}

// Writes the folder into a new encrypted core, has the node keep it, and returns the
// restore reference once the node holds every block.
export async function backupFolder (flags: ParsedFlags, dirText: string, nodeKey: string, say: (line: string) => void): Promise<string> {
  const dir = path.resolve(dirText)
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw ClientError.NOT_A_FOLDER(dir)
  const node = decodeKey('node key', nodeKey)
  const timeoutMs = intFlag('backup', flags, 'timeout', 600, 1, 86_400) * 1000

  const encryptionKey = crypto.randomBytes(32)
  const storeDir = clientStoreDir(flags)
  const store = openClientStore(storeDir)
  const core = store.get({ name: `roost/backup/${Date.now()}-${b4a.toString(crypto.randomBytes(8), 'hex')}`, encryption: { key: encryptionKey } })
  await core.ready()
  let ref: string
  try {
    const { files, bytes } = await writeArchive(core, dir, () => {})
    say(`wrote ${files} files, ${bytes} bytes into ${core.length} blocks`)
    ref = formatBackupRef({ coreKey: core.key, encryptionKey, nodeKey: node })
    recordBackup(storeDir, dir, ref)
    const session = await connectToNode(flags, nodeKey)
    try {
      store.replicate(session.socket)
      await session.control.keep({ key: core.key, length: core.length, byteLength: core.byteLength, evictable: flags.evictable === true })
      let lastShown = 0
      await waitUntilHeld(session, core.key, core.length, (held) => {
        if (held === core.length || Date.now() - lastShown > 1000) {
          lastShown = Date.now()
          say(`node holds ${held}/${core.length} blocks`)
        }
      }, timeoutMs)
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

// The reference is the only way to read the backup: keep a copy next to the client's store.
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
