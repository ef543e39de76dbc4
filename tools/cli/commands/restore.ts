import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createDht } from '../../../node/network/dht.ts'
import { encodeKey } from '../../../node/identity/keys.ts'
import { intFlag, stringFlag, usageError, type CommandSpec, type ParsedFlags } from '../args.ts'
import { readArchive } from '../../client/archive.ts'
import { parseBackupRef } from '../../client/backup-ref.ts'
import { bootstrapFlags, clientIdentity, NETWORK_FLAGS } from '../../client/connect.ts'
import { openClientStore, replicateFromHolders, waitForLength } from '../../client/store.ts'
import { ClientError } from '../../client/errors.ts'

export const spec: CommandSpec = {
  name: 'restore',
  summary: 'Fetch a backup by its reference from wherever it is available (the node that keeps it,\n' +
    'or any peer announcing it), decrypt it here and write its files into DIR, with progress.',
  usage: 'roost restore REF DIR [--timeout SECONDS] [--bootstrap HOST:PORT]',
  positionals: 2,
  flags: {
    timeout: { type: 'string', value: 'SECONDS', help: 'give up if no peer serves the backup for this long (default: 60)' },
    ...NETWORK_FLAGS
  }
}

export async function run (flags: ParsedFlags, positionals: string[]): Promise<number> {
  const [refText, dirText] = positionals
  if (!refText || !dirText) throw usageError('restore', 'needs REF (from `roost backup`) and DIR')
  const { files, bytes, out } = await restoreBackup(flags, refText, dirText, (line) => process.stderr.write(line + '\n'))
  process.stdout.write(`restored ${files} files, ${bytes} bytes into ${out}\n`)
  return 0
}

// Fetches the backup from wherever it is available and writes it into the folder.
export async function restoreBackup (flags: ParsedFlags, refText: string, dirText: string, say: (line: string) => void): Promise<{ files: number, bytes: number, out: string }> {
  const ref = parseBackupRef(refText)
  const out = path.resolve(dirText)
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0) throw ClientError.FOLDER_NOT_EMPTY(out)
  const timeoutMs = intFlag('restore', flags, 'timeout', 60, 1, 86_400) * 1000
  const keyPair = clientIdentity(flags)
  const dht = createDht({ bootstrap: bootstrapFlags(flags), host: stringFlag(flags, 'host') ?? null, ephemeral: true })
  // Fetched into a throwaway store and a sibling folder, moved into place only when whole.
  const tmpStore = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-restore-'))
  const partial = `${out}.partial-${process.pid}`
  const store = openClientStore(tmpStore)
  const core = store.get({ key: ref.coreKey, encryption: { key: ref.encryptionKey } })
  let stop = (): void => {}
  try {
    await core.ready()
    stop = replicateFromHolders(dht, store, core.discoveryKey, keyPair, ref.nodeKey)
    const found = await waitForLength(core, timeoutMs)
    if (!found) throw ClientError.BACKUP_NOT_FOUND(encodeKey(ref.coreKey), timeoutMs / 1000)
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
