// The procd init script's place_identity, run for real: a per-device package leaves the
// device's identity in /opt/roost, and the script moves it into the data folder only
// where no other identity is. /opt is a copy in a private mount namespace.
import test, { type ExecutionContext } from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { sharedArtifact } from '../helpers/artifacts.ts'
import { asRoot } from '../helpers/install-script.ts'
import { runTool } from '../helpers/system-tool.ts'
import { tmpDir } from '../helpers/tmp.ts'

interface Placed { code: number | null, stderr: string, staged: string | null, key: string | null, keyMode: number | null }

// Sources the init script (its functions; rc.common is not needed for them) and runs
// place_identity with the staged and the existing identity given.
async function placeIdentity (t: ExecutionContext, staged: string, existing?: string): Promise<Placed> {
  const { outDir } = await sharedArtifact('glinet-gl-mt6000')
  const sandbox = tmpDir(t)
  const opt = path.join(sandbox, 'opt')
  const data = path.join(sandbox, 'data')
  fs.mkdirSync(path.join(opt, 'roost'), { recursive: true })
  fs.mkdirSync(data, { mode: 0o700 })
  fs.writeFileSync(path.join(opt, 'roost', 'identity.json'), staged, { mode: 0o600 })
  if (existing !== undefined) fs.writeFileSync(path.join(data, 'identity.json'), existing, { mode: 0o600 })
  const script = `mount --bind ${opt} /opt && . ${outDir}/roost.init && place_identity ${data}`
  const run = runTool(t, 'unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } })
  const read = (file: string): string | null => fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null
  const key = path.join(data, 'identity.json')
  return {
    code: run.code,
    stderr: run.stderr,
    staged: read(path.join(opt, 'roost', 'identity.json')),
    key: read(key),
    keyMode: fs.existsSync(key) ? fs.statSync(key).mode & 0o777 : null
  }
}

test('a staged identity moves into a data folder that has none, mode 0600', async (t) => {
  if (!asRoot(t, 'it mounts a copy over /opt in a private mount namespace')) return
  const placed = await placeIdentity(t, '{"publicKey":"new"}\n')
  t.is(placed.code, 0, placed.stderr)
  t.is(placed.key, '{"publicKey":"new"}\n')
  t.is(placed.keyMode, 0o600)
  t.is(placed.staged, null)
})

test('a staged identity equal to the one in the data folder is only cleared away', async (t) => {
  if (!asRoot(t, 'it mounts a copy over /opt in a private mount namespace')) return
  const placed = await placeIdentity(t, '{"publicKey":"same"}\n', '{"publicKey":"same"}\n')
  t.is(placed.code, 0, placed.stderr)
  t.is(placed.key, '{"publicKey":"same"}\n')
  t.is(placed.staged, null)
})

test('a staged identity never replaces another one: the node is not started and both stay', async (t) => {
  if (!asRoot(t, 'it mounts a copy over /opt in a private mount namespace')) return
  const placed = await placeIdentity(t, '{"publicKey":"new"}\n', '{"publicKey":"old"}\n')
  t.is(placed.code, 1)
  t.true(placed.stderr.startsWith('roost: not starting: '), placed.stderr)
  t.true(placed.stderr.includes('is another node than the identity in /opt/roost/identity.json; move one of them away'), placed.stderr)
  t.is(placed.key, '{"publicKey":"old"}\n')
  t.is(placed.staged, '{"publicKey":"new"}\n')
})
