import test from 'ava'
import type { ExecutionContext } from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../../targets/bundle.ts'
import { roost, type CliResult } from '../helpers/cli.ts'
import { tmpDir } from '../helpers/tmp.ts'

const COMMANDS = ['boards', 'build', 'provision', 'flash', 'package', 'deploy', 'run', 'testnet', 'ping', 'status', 'doctor', 'fleet', 'feed', 'invite', 'pair', 'trust', 'agent', 'keep', 'drop', 'backup', 'restore', 'id', 'demo', 'bench']
const Z32_KEY = /^[13-9a-km-uw-z]{52}$/

// The board files as the user sees them in the folder, read without roost's loader.
function boardFiles (): Array<{ id: string, host: string }> {
  const dir = path.join(REPO_ROOT, 'board-configs')
  return fs.readdirSync(dir).filter((name) => name.endsWith('.yaml')).sort().map((name) => {
    const host = /^host:\s*(\S+)/m.exec(fs.readFileSync(path.join(dir, name), 'utf8'))?.[1]
    if (!host) throw new Error(`no host in board-configs/${name}`)
    return { id: name.slice(0, -'.yaml'.length), host }
  })
}

// Every run starts Node.js and tsx, a few seconds of CPU: forty at once on two cores took
// a minute each and pushed `roost build` past its deadline, so three run at a time.
const RUNS_AT_ONCE = 3
let running = 0
const queued: Array<() => void> = []

async function run (t: ExecutionContext, args: string[]): Promise<CliResult> {
  if (running >= RUNS_AT_ONCE) await new Promise<void>((resolve) => queued.push(resolve))
  running++
  try {
    return await roost(args, { home: tmpDir(t) })
  } finally {
    running--
    queued.shift()?.()
  }
}

// A user mistake: exit 1, one `CODE: message` line on stderr, then one `hint:` line if the
// error has a fix to suggest, and no stack trace.
function assertUserError (t: ExecutionContext, result: CliResult, code: string, opts: { hint: boolean } = { hint: true }): { message: string, hint: string } {
  t.is(result.code, 1, result.stderr)
  t.false(result.stderr.includes('    at '), result.stderr)
  t.true(result.stderr.endsWith('\n'), result.stderr)
  const lines = result.stderr.slice(0, -1).split('\n')
  t.is(lines.length, opts.hint ? 2 : 1, result.stderr)
  t.true(lines[0].startsWith(`${code}: `), result.stderr)
  if (opts.hint) t.true(lines[1].startsWith('hint: '), result.stderr)
  return { message: lines[0].slice(code.length + 2), hint: opts.hint ? lines[1].slice('hint: '.length) : '' }
}

test('roost boards lists every board in board-configs/ with its host', async (t) => {
  const result = await run(t, ['boards'])
  t.is(result.code, 0, result.stderr)
  t.is(result.stderr, '')
  const lines = result.stdout.split('\n').filter((line) => line !== '')
  const boards = boardFiles()
  t.true(boards.length >= 9)
  t.is(lines.length, boards.length + 1, result.stdout)
  for (const { id, host } of boards) {
    t.true(lines.some((line) => line.startsWith(`${id} `) && line.split(/\s{2,}/).includes(host)), `${id} (${host}) missing:\n${result.stdout}`)
  }
})

test('roost boards ends its output with a newline', async (t) => {
  const result = await run(t, ['boards'])
  t.is(result.code, 0, result.stderr)
  t.true(result.stdout.endsWith('\n'), 'the last board row has no newline, so the shell prompt lands on it')
})

test('building an unknown board fails with one UNKNOWN_BOARD line listing the valid ids', async (t) => {
  const result = await run(t, ['build', '--board', 'raspberry-pi-9'])
  const { message, hint } = assertUserError(t, result, 'UNKNOWN_BOARD')
  t.is(message, `unknown board "raspberry-pi-9" (valid boards: ${boardFiles().map((b) => b.id).join(', ')})`)
  t.true(hint.includes('board-configs/'), hint)
  t.is(result.stdout, '')
})

test('building a Lua agent board writes the agent, its package and manifest, and says where', async (t) => {
  const out = path.join(tmpDir(t), 'router')
  const result = await run(t, ['build', '--board', 'tplink-archer-c7-v5', '--out', out])
  t.is(result.code, 0, result.stderr)
  const lines = result.stdout.trimEnd().split('\n')
  t.regex(lines[0], /^built the Lua agent for tplink-archer-c7-v5 \(linux-mips\) in \d+\.\d s → /)
  t.regex(lines[1], /^ {2}agent {4}roost-agent\.lua {2}\d+\.\d KiB$/)
  t.regex(lines[2], /^ {2}package {2}roost-agent_0\.1\.0-1_mips_24kc\.ipk {2}\d+\.\d KiB$/)
  t.is(lines[3], '  runtime  Lua 5.3 and LuaSocket (on the router: opkg update && opkg install lua5.3 luasocket5.3)')
  t.deepEqual(fs.readdirSync(out).sort(), ['INSTALL.md', 'manifest.json', 'roost-agent.init', 'roost-agent.lua', 'roost-agent.uci', 'roost-agent_0.1.0-1_mips_24kc.ipk'])
})

test('a node for a Lua agent board (--runtime bare or node) is refused with NO_BARE_RUNTIME and a hint naming the Lua agent', async (t) => {
  const defaultOuts = ['tplink-archer-c7-v5', 'tplink-archer-c7-v5-node'].map((name) => path.join(REPO_ROOT, 'dist', name))
  const existed = defaultOuts.map((dir) => fs.existsSync(dir))
  for (const runtime of ['bare', 'node']) {
    const result = await run(t, ['build', '--board', 'tplink-archer-c7-v5', '--runtime', runtime])
    const { message, hint } = assertUserError(t, result, 'NO_BARE_RUNTIME')
    t.true(message.startsWith('board tplink-archer-c7-v5 (linux-mips) cannot run the Bare node'), message)
    t.true(hint.includes('Lua agent') && hint.includes('`roost build --board tplink-archer-c7-v5` (no --runtime)'), hint)
  }
  defaultOuts.forEach((dir, i) => { if (!existed[i]) t.false(fs.existsSync(dir), `a refused build left ${dir} behind`) })
})

test('a node config for a Lua agent board is a usage error', async (t) => {
  const { message } = assertUserError(t, await run(t, ['build', '--board', 'linksys-wrt3200acm', '--config', 'node.yaml']), 'USAGE')
  t.is(message, 'roost build: --config is a node config; the Lua agent on linksys-wrt3200acm reads /etc/config/roost-agent (see its INSTALL.md)')
})

test('roost build without --board is a usage error', async (t) => {
  const { message, hint } = assertUserError(t, await run(t, ['build']), 'USAGE')
  t.is(message, 'roost build: missing --board ID (see `roost boards`)')
  t.is(hint, 'run: roost build --help')
})

test('roost ping without a node key is a usage error', async (t) => {
  const { message, hint } = assertUserError(t, await run(t, ['ping']), 'USAGE')
  t.is(message, 'roost ping: missing NODE_KEY')
  t.is(hint, 'run: roost ping --help')
})

test('an unknown flag is a usage error naming the flag', async (t) => {
  const { message, hint } = assertUserError(t, await run(t, ['build', '--frobnicate']), 'USAGE')
  t.true(message.startsWith('roost build: '), message)
  t.true(message.includes('--frobnicate'), message)
  t.is(hint, 'run: roost build --help')
})

test('an unknown command is a usage error listing the commands', async (t) => {
  const { message } = assertUserError(t, await run(t, ['nonsense']), 'USAGE')
  t.is(message, `unknown command "nonsense" (commands: ${COMMANDS.join(', ')})`)
})

test('roost --help lists exactly the commands whose help is tested here', async (t) => {
  const result = await run(t, ['--help'])
  t.is(result.code, 0, result.stderr)
  const listed = result.stdout.split('commands:\n')[1]?.split('\n').filter((line) => line !== '').map((line) => line.trim().split(/\s+/)[0])
  t.deepEqual(listed, COMMANDS)
})

for (const name of COMMANDS) {
  test(`roost ${name} --help prints its usage line and exits 0`, async (t) => {
    const result = await run(t, [name, '--help'])
    t.is(result.code, 0, result.stderr)
    t.is(result.stderr, '')
    const lines = result.stdout.split('\n')
    t.regex(lines[0], new RegExp(`^usage: roost ${name}( |$)`))
    t.true(lines.some((line) => /^ {2}--help\s+show this help$/.test(line)), result.stdout)
  })
}

test('roost ping with a malformed key fails with BAD_KEY before touching the network', async (t) => {
  const { message } = assertUserError(t, await run(t, ['ping', 'not-a-key', '--bootstrap', '127.0.0.1:1']), 'BAD_KEY', { hint: false })
  t.is(message, 'node key: "not-a-key" is not a public key (expected 52 z-base-32 or 64 hex characters)')
})

test('roost status with a malformed bootstrap fails with BAD_BOOTSTRAP', async (t) => {
  const home = tmpDir(t)
  const key = (await roost(['id'], { home })).stdout.trim()
  t.regex(key, Z32_KEY)
  const { message, hint } = assertUserError(t, await roost(['status', '--peer', key, '--bootstrap', 'nonsense'], { home }), 'BAD_BOOTSTRAP')
  t.is(message, 'bootstrap "nonsense" is not host:port')
  t.is(hint, 'example: --bootstrap 127.0.0.1:49737')
})

test('roost id prints the same z-base-32 key on every run and keeps it in a 0600 file', async (t) => {
  const home = tmpDir(t)
  const first = await roost(['id'], { home })
  t.is(first.code, 0, first.stderr)
  t.regex(first.stdout, /^[13-9a-km-uw-z]{52}\n$/)
  const file = path.join(home, 'client', 'identity.json')
  t.is(fs.statSync(file).mode & 0o777, 0o600)
  t.is((JSON.parse(fs.readFileSync(file, 'utf8')) as { publicKey: string }).publicKey, first.stdout.trim())
  const second = await roost(['id'], { home })
  t.is(second.code, 0, second.stderr)
  t.is(second.stdout, first.stdout)
})

test('roost build writes the artifact and prints the bundle size and a total line', async (t) => {
  const out = path.join(tmpDir(t), 'art')
  const result = await run(t, ['build', '--board', 'x86-64-mini-pc', '--out', out])
  t.is(result.code, 0, result.stderr)
  t.is(result.stderr, '')
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
    boardId: string, bundle: { file: string, bytes: number }, files: Array<{ size: number }>
  }
  t.is(manifest.boardId, 'x86-64-mini-pc')
  const kib = (bytes: number): string => bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`
  const lines = result.stdout.split('\n')
  t.true(lines[0].startsWith('built x86-64-mini-pc (linux-x64) in '), result.stdout)
  t.true(lines.includes(`  bundle   roost-node.cjs  ${kib(manifest.bundle.bytes)}`), result.stdout)
  const total = manifest.files.reduce((sum, f) => sum + f.size, 0)
  t.true(lines.includes(`  total    ${manifest.files.length} files, ${kib(total)}`), result.stdout)
})
