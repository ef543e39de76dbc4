import path from 'node:path'
import { identityPath, loadIdentity } from '../../../node/identity/identity.ts'
import { secretFileExists } from '../../../node/identity/secret-file.ts'
import { createInvite } from '../../../node/trust/invites.ts'
import { defineCommand, usageError } from '../args.ts'
import { CliError } from '../errors.ts'
import { defaultNodeDataDir } from '../paths.ts'

export const invite = defineCommand({
  name: 'invite',
  summary: 'Print a one-time invite to this machine\'s node, for `roost pair` on another device.',
  details: 'Whoever runs `roost pair INVITE` with it becomes a trusted key of the node (it may keep\n' +
    'cores there). Single use; it expires.',
  usage: 'roost invite [--storage DIR] [--expires 1h]',
  flags: {
    storage: { type: 'string', value: 'DIR', help: 'the node\'s storage folder (default: ~/.local/share/roost/node)' },
    expires: { type: 'string', value: 'AGE', help: 'how long the invite stays valid: 30s, 15m, 1h, 7d (default: 1h)' }
  }
}, async (flags) => {
  const dataDir = path.resolve(flags.storage ?? defaultNodeDataDir())
  const ttl = parseAge('invite', flags.expires ?? '1h')
  const file = identityPath(dataDir)
  if (!secretFileExists(file)) throw CliError.NO_NODE(dataDir)
  const { publicKey } = loadIdentity(file)
  const { invite, expiresAt } = createInvite(dataDir, publicKey, ttl, Date.now())
  process.stdout.write(`${invite}\n`)
  process.stderr.write(`single use, valid until ${new Date(expiresAt).toISOString()}; on the other device run: roost pair ${invite}\n`)
  return 0
})

function parseAge (command: string, value: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(value)
  const n = m ? Number(m[1]) : 0
  if (!m || n < 1) throw usageError(command, `--expires must be an age like 30s, 15m, 1h or 7d, got "${value}"`)
  return n * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd']
}
