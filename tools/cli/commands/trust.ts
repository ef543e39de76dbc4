import path from 'node:path'
import { decodeKey, encodeKey } from '../../../node/identity/keys.ts'
import { readPairedKeys, removePairedKey } from '../../../node/trust/trust.ts'
import { defineCommand, usageError } from '../args.ts'
import { CliError } from '../errors.ts'
import { defaultNodeDataDir } from '../paths.ts'

export const trust = defineCommand({
  name: 'trust',
  summary: 'List or revoke the keys paired with this machine\'s node (run on the node\'s machine).',
  details: '  trust ls            the paired keys\n' +
    '  trust remove KEY    revoke a paired key; the running node stops trusting it within a second',
  usage: 'roost trust ls | roost trust remove KEY [--storage DIR]',
  positionals: 2,
  flags: {
    storage: { type: 'string', value: 'DIR', help: 'the node\'s storage folder (default: ~/.local/share/roost/node)' }
  }
}, async (flags, [sub, key]) => {
  const dataDir = path.resolve(flags.storage ?? defaultNodeDataDir())
  if (sub === 'ls') {
    for (const k of readPairedKeys(dataDir)) {
      process.stdout.write(`${k.key}  paired ${k.addedAt ? new Date(k.addedAt).toISOString() : '(time unknown)'}\n`)
    }
    return 0
  }
  if (sub === 'remove') {
    if (!key) throw usageError('trust', 'remove needs the KEY to revoke')
    const normal = encodeKey(decodeKey('key', key))
    if (!removePairedKey(dataDir, normal)) throw CliError.NOT_PAIRED(normal)
    process.stdout.write(`revoked ${normal}\n`)
    return 0
  }
  throw usageError('trust', sub ? `unknown subcommand "${sub}" (ls, remove)` : 'missing subcommand (ls, remove)')
})
