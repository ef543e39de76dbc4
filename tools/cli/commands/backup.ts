import { backupFolder } from '../../client/backup.ts'
import { defineCommand, intFlag, usageError } from '../args.ts'
import { deviceFromFlags, NETWORK_FLAGS } from '../network-flags.ts'

export const backup = defineCommand({
  name: 'backup',
  summary: 'Back a folder up to a node, encrypted on this device, and print its restore reference.',
  details: 'The folder goes into a new encrypted hypercore on this device; the node is asked to keep it,\n' +
    'and the command returns when the node holds every block. The restore reference carries the\n' +
    'keys to read the backup, so keep it like a password (a copy goes to backups.jsonl, mode 0600).',
  usage: 'roost backup DIR --peer NODE_KEY [--evictable] [--timeout SECONDS] [--bootstrap HOST:PORT]',
  positionals: 1,
  flags: {
    peer: { type: 'string', value: 'NODE_KEY', help: 'the node to keep the backup on' },
    evictable: { type: 'boolean', help: 'the node may drop this backup to make room for others' },
    timeout: { type: 'string', value: 'SECONDS', help: 'how long to wait for the node to hold every block (default: 600)' },
    ...NETWORK_FLAGS
  }
}, async (flags, [dir]) => {
  if (!dir) throw usageError('backup', 'missing DIR (the folder to back up)')
  if (!flags.peer) throw usageError('backup', 'missing --peer NODE_KEY')
  const ref = await backupFolder(deviceFromFlags(flags), dir, flags.peer, {
    evictable: flags.evictable,
    timeoutMs: intFlag('backup', 'timeout', flags.timeout, 600, 1, 86_400) * 1000,
    say: (line) => process.stderr.write(line + '\n')
  })
  process.stdout.write(`${ref}\n`)
  return 0
})
