import { restoreBackup } from '../../client/backup.ts'
import { defineCommand, intFlag, usageError } from '../args.ts'
import { deviceFromFlags, NETWORK_FLAGS } from '../network-flags.ts'

export const restore = defineCommand({
  name: 'restore',
  summary: 'Fetch a backup by its reference from wherever it is available and decrypt it into DIR.',
  details: 'The backup comes from the node that keeps it or any peer announcing it; the files are\n' +
    'written into DIR only once every block has arrived, with progress.',
  usage: 'roost restore REF DIR [--timeout SECONDS] [--bootstrap HOST:PORT]',
  positionals: 2,
  flags: {
    timeout: { type: 'string', value: 'SECONDS', help: 'give up if no peer serves the backup for this long (default: 60)' },
    ...NETWORK_FLAGS
  }
}, async (flags, [ref, dir]) => {
  if (!ref || !dir) throw usageError('restore', 'needs REF (from `roost backup`) and DIR')
  const { files, bytes, out } = await restoreBackup(deviceFromFlags(flags), ref, dir, {
    timeoutMs: intFlag('restore', 'timeout', flags.timeout, 60, 1, 86_400) * 1000,
    say: (line) => process.stderr.write(line + '\n')
  })
  process.stdout.write(`restored ${files} files, ${bytes} bytes into ${out}\n`)
  return 0
})
