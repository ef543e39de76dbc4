// Errors are values with stable codes, built in one catalogue per layer: these tests
// fail when an error is built anywhere else, and pin one message of each catalogue.
import fs from 'node:fs'
import path from 'node:path'
import test from 'ava'
import { NodeError, RoostError } from '../../node/errors.ts'
import { Refusal } from '../../node/protocol/refusals.ts'
import { BuildError } from '../../targets/errors.ts'
import { REPO_ROOT } from '../../targets/bundle.ts'
import { CliError } from '../../tools/cli/errors.ts'
import { ClientError } from '../../tools/client/errors.ts'
import { ConfigError } from '../../tools/config/errors.ts'
import { HarnessError } from '../../tools/harness/errors.ts'
import { ProvisionError } from '../../tools/provision/errors.ts'

const CATALOGUES = ['node/errors.ts', 'targets/errors.ts', 'tools/cli/errors.ts', 'tools/client/errors.ts', 'tools/config/errors.ts', 'tools/harness/errors.ts', 'tools/provision/errors.ts']

function sources (dir: string): string[] {
  return fs.readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|cts|js)$/.test(f))
    .map((f) => path.posix.join(dir, f.split(path.sep).join('/')))
}

test('no error is built outside a catalogue', (t) => {
  const files = ['node', 'targets', 'tools', 'bin'].flatMap(sources).filter((f) => !CATALOGUES.includes(f))
  t.true(files.length > 50, `only ${files.length} source files found`)
  const found: string[] = []
  for (const file of files) {
    fs.readFileSync(path.join(REPO_ROOT, file), 'utf8').split('\n').forEach((line, i) => {
      if (/\bnew\s+[A-Za-z]*Error\s*\(|\bextends\s+RoostError\b|\bError\s*\(\s*['"`]/.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`)
    })
  }
  t.deepEqual(found, [], 'build these errors with a factory of the layer\'s catalogue')
})

test('no wire refusal is written outside the refusal catalogue', (t) => {
  const found: string[] = []
  for (const file of sources('node').filter((f) => f !== 'node/protocol/refusals.ts')) {
    fs.readFileSync(path.join(REPO_ROOT, file), 'utf8').split('\n').forEach((line, i) => {
      if (/\bcode: ['"`][A-Z]/.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`)
    })
  }
  t.deepEqual(found, [], 'refuse with a factory of node/protocol/refusals.ts')
})

test('every catalogue is a RoostError with a code, a message and its hint', (t) => {
  const errors: RoostError[] = [
    NodeError.BAD_BOOTSTRAP('x'), BuildError.BUNDLE_FAILED('x'), ConfigError.NOT_FOUND('x'),
    CliError.USAGE('x', 'y'), ClientError.NOT_A_BACKUP(), HarnessError.CHECK_FAILED('x'),
    ProvisionError.NOT_A_FLEET_FOLDER('x')
  ]
  for (const err of errors) {
    t.true(err instanceof RoostError, err.name)
    t.true(err instanceof Error, err.name)
    t.regex(err.code, /^[A-Z][A-Z0-9_]*$/, err.name)
  }
})

test('node catalogue: a readable identity file says which file, its mode and the chmod that fixes it', (t) => {
  const err = NodeError.IDENTITY_PERMISSIONS('/var/lib/roost/identity.json', 0o100644)
  t.is(err.code, 'IDENTITY_PERMISSIONS')
  t.is(err.message, 'identity file /var/lib/roost/identity.json is readable by group or others (mode 644)')
  t.is(err.hint, 'run: chmod 600 /var/lib/roost/identity.json')
})

test('node catalogue: a wrapped cause is kept', (t) => {
  const cause = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' })
  const err = NodeError.CONFIG_UNREADABLE('/opt/roost/config.json', cause)
  t.is(err.code, 'CONFIG_UNREADABLE')
  t.is(err.message, 'cannot read config /opt/roost/config.json: ENOENT: no such file')
  t.is(err.cause, cause)
})

test('refusal catalogue: a quota refusal says what the core needs and what is used', (t) => {
  t.deepEqual(Refusal.QUOTA_BYTES(5000, 1000, 4096), {
    code: 'QUOTA_BYTES',
    message: 'this core (5000 bytes) does not fit your quota: 1000 of 4096 bytes used'
  })
  t.deepEqual(Refusal.NO_ROOM(-5, 10), { code: 'DISK_FULL', message: 'the node\'s disk has room for 0 more bytes, not 10' })
})

test('build catalogue: a Lua agent board is refused with the way out', (t) => {
  const err = BuildError.NO_BARE_RUNTIME('tplink-archer-c7-v5', 'linux-mips')
  t.is(err.code, 'NO_BARE_RUNTIME')
  t.is(err.message, 'board tplink-archer-c7-v5 (linux-mips) cannot run the Bare node: no Bare runtime or native addons exist for linux-mips')
  t.true(err.hint?.includes('Lua agent'), err.hint)
})

test('config catalogue: a field problem names file, line and field', (t) => {
  const err = ConfigError.INVALID_FIELD('board-configs/x.yaml', 12, 'ram_mb', 'expected a number, got "4G"')
  t.is(err.code, 'INVALID_FIELD')
  t.is(err.message, 'board-configs/x.yaml:12: ram_mb: expected a number, got "4G"')
  t.like(err, { file: 'board-configs/x.yaml', line: 12, field: 'ram_mb' })
})

test('CLI catalogue: a usage error names the command and points at its help', (t) => {
  const err = CliError.USAGE('ping', 'missing NODE_KEY')
  t.is(err.code, 'USAGE')
  t.is(err.message, 'roost ping: missing NODE_KEY')
  t.is(err.hint, 'run: roost ping --help')
})

test('client catalogue: an unreachable node is named with the reason and what to check', (t) => {
  const err = ClientError.UNREACHABLE('abc', 'PEER_NOT_FOUND: peer not found')
  t.is(err.code, 'UNREACHABLE')
  t.is(err.message, 'could not reach abc: PEER_NOT_FOUND: peer not found')
  t.is(err.hint, 'check that the node is running and that both sides use the same bootstrap')
})

test('harness catalogue: a wait that runs out says what it waited for and the last log', (t) => {
  const err = HarnessError.WAIT_TIMEOUT('"ready"', 30_000, 'log: [{"event":"starting"}]')
  t.is(err.code, 'WAIT_TIMEOUT')
  t.is(err.message, 'no "ready" within 30000 ms; log: [{"event":"starting"}]')
})

test('provision catalogue: a boot partition too small says what it has and what is needed', (t) => {
  const err = ProvisionError.NO_SPACE('sd.img', 7_000_000, 25_297_818)
  t.is(err.code, 'NO_SPACE')
  t.is(err.message, 'sd.img has 7,000,000 bytes (6.7 MiB) free; this device\'s files need 25,297,818 bytes (24.1 MiB)')
})
