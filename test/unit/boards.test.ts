import test from 'ava'
import type { ExecutionContext } from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BOARD_CONFIG_DIR, formatBoardTable, loadBoard, loadBoards, parseBoard } from '../../tools/config/boards.ts'
import type { Board } from '../../tools/config/boards.ts'
import { ConfigError } from '../../tools/config/errors.ts'

// A valid board, one field per line, so each test can break one line and know
// exactly which line the error must name.
const VALID_BOARD = [
  'id: test-board', //                  1
  'name: Test Board', //                2
  'cpu: Test CPU @ 1 GHz', //           3
  'host: linux-arm64', //               4
  'os: debian', //                      5
  'init: systemd', //                   6
  'ram_mb: 1024', //                    7
  'storage_path: /var/lib/roost', //    8
  'memory_budget_mb: 64', //            9
  'runtime: bare', //                  10
  'default_roles: [storage, bridge]', // 11
  'storage_budget_mb: 4096' //         12
]

const FIELDS = 'id, name, cpu, host, os, init, ram_mb, storage_path, memory_budget_mb, runtime, default_roles, storage_budget_mb, openwrt_arch'

function withLines (changes: Record<number, string | null>, lines: string[] = VALID_BOARD): string[] {
  return lines.flatMap((line, i) => {
    const change = changes[i + 1]
    if (change === undefined) return [line]
    return change === null ? [] : change.split('\n')
  })
}

function writeBoard (t: ExecutionContext, lines: string[], id = 'test-board'): { dir: string, file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-test-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, `${id}.yaml`)
  fs.writeFileSync(file, lines.join('\n') + '\n')
  return { dir, file }
}

function configError (t: ExecutionContext, fn: () => unknown): ConfigError {
  const err = t.throws(fn, { instanceOf: ConfigError })
  if (!(err instanceof ConfigError)) throw new Error('expected a ConfigError')
  return err
}

test('every shipped board config is valid and its id matches its file', (t) => {
  const files = fs.readdirSync(BOARD_CONFIG_DIR).filter((name) => name.endsWith('.yaml')).sort()
  const boards = loadBoards()
  t.deepEqual(boards.map((board) => `${board.id}.yaml`), files)
  for (const id of ['raspberry-pi-zero-2-w', 'raspberry-pi-3b', 'raspberry-pi-4b', 'raspberry-pi-5',
    'x86-64-mini-pc', 'glinet-gl-mt6000', 'bananapi-bpi-r4', 'tplink-archer-c7-v5', 'linksys-wrt3200acm']) {
    t.true(boards.some((board) => board.id === id), `missing board ${id}`)
  }
})

test('shipped boards without a Bare runtime are Lua agent boards with no roles', (t) => {
  const agents = loadBoards().filter((board) => board.program === 'lua-agent')
  t.deepEqual(agents.map((board) => board.host).sort(), ['linux-arm', 'linux-mips'])
  for (const board of agents) t.deepEqual(board.defaultRoles, [])
})

test('a board loads by id with camelCase fields, its YAML runtime as program', (t) => {
  const board = loadBoard('raspberry-pi-4b')
  t.like(board, {
    id: 'raspberry-pi-4b',
    host: 'linux-arm64',
    os: 'raspberry-pi-os',
    init: 'systemd',
    ramMb: 1024,
    storagePath: '/var/lib/roost',
    program: 'bare'
  })
})

test('the board table lists every board with its host, OS, RAM and runtime', (t) => {
  const boards = loadBoards()
  const lines = formatBoardTable(boards).split('\n')
  t.is(lines.length, boards.length + 1)
  t.regex(lines[0], /^ID\s+NAME\s+HOST\s+OS\s+RAM\s+RUNTIME$/)
  for (const board of boards) t.true(lines.some((line) => line.startsWith(board.id + ' ')), board.id)
  t.true(lines.some((line) => /^raspberry-pi-4b\s+Raspberry Pi 4 Model B\s+linux-arm64\s+Raspberry Pi OS\s+1 GB\s+bare$/.test(line)))
  t.true(lines.some((line) => /^tplink-archer-c7-v5\s+TP-Link Archer C7 v5\s+linux-mips\s+OpenWrt\s+128 MB\s+lua-agent$/.test(line)))
})

test('the board table aligns its columns under the header', (t) => {
  const base: Board = {
    id: 'a-board',
    name: 'A',
    cpu: 'cpu',
    host: 'linux-x64',
    os: 'debian',
    init: 'systemd',
    ramMb: 4096,
    storagePath: '/var/lib/roost',
    memoryBudgetMb: 256,
    storageBudgetMb: null,
    program: 'bare',
    defaultRoles: [],
    openwrtArch: null
  }
  const agent: Board = { ...base, id: 'b', name: 'Router B', host: 'linux-mips', os: 'openwrt', init: 'procd', ramMb: 128, memoryBudgetMb: 4, program: 'lua-agent', openwrtArch: 'mips_24kc' }
  t.is(formatBoardTable([base, agent]), [
    'ID       NAME      HOST        OS          RAM  RUNTIME',
    'a-board  A         linux-x64   Debian     4 GB  bare',
    'b        Router B  linux-mips  OpenWrt  128 MB  lua-agent'
  ].join('\n'))
})

test('an unknown board id is refused with the list of valid ids', (t) => {
  const err = configError(t, () => loadBoard('raspberry-pi-9'))
  t.is(err.code, 'UNKNOWN_BOARD')
  const ids = loadBoards().map((board) => board.id)
  t.is(err.message, `unknown board "raspberry-pi-9" (valid boards: ${ids.join(', ')})`)
})

test('a board id that is a path is refused as unknown, not read', (t) => {
  const err = configError(t, () => loadBoard('../package'))
  t.is(err.code, 'UNKNOWN_BOARD')
})

test('a missing board folder is reported as not found', (t) => {
  const err = configError(t, () => loadBoards(path.join(os.tmpdir(), 'roost-test-no-such-folder')))
  t.is(err.code, 'NOT_FOUND')
})

test('a wrong type names the file, line, field, what was expected and what was got', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 7: 'ram_mb: 4G' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.code, 'INVALID_FIELD')
  t.is(err.message, `${file}:7: ram_mb: expected a number, got "4G"`)
  t.is(err.file, file)
  t.is(err.line, 7)
  t.is(err.field, 'ram_mb')
})

test('a fractional number where an integer is expected is reported with its value', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 9: 'memory_budget_mb: 64.5' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:9: memory_budget_mb: expected an integer, got 64.5`)
})

test('a missing field is reported at the line of the mapping it belongs in', (t) => {
  const { dir, file } = writeBoard(t, ['# a comment first', ...withLines({ 7: null })])
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:2: ram_mb: required field is missing`)
  t.is(err.field, 'ram_mb')
})

test('an unknown key is reported at its own line with the valid fields', (t) => {
  const { dir, file } = writeBoard(t, [...VALID_BOARD, 'colour: red'])
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:13: colour: unknown field (valid fields: ${FIELDS})`)
})

test('a misspelt field is reported as unknown at its line rather than as missing', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 7: 'ram_mbb: 1024' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:7: ram_mbb: unknown field (valid fields: ${FIELDS})`)
})

test('a value outside a fixed set lists the valid values', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 4: 'host: linux-amd64' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:4: host: expected one of linux-arm64, linux-x64, linux-arm, linux-mips, linux-mipsel, got "linux-amd64"`)
})

test('an unknown role is reported at its list item with a dotted field', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 11: 'default_roles:\n  - storage\n  - mqtt' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:13: default_roles.1: expected one of storage, bridge, relay, lan-ingest, got "mqtt"`)
})

test('an id that differs from the file name is reported at the id line', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 1: 'id: other-board' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:1: id: expected "test-board" (the file name without .yaml), got "other-board"`)
  t.is(err.hint, 'rename the file to other-board.yaml or set id: test-board')
})

test('a Bare runtime on a host without Bare is reported at the runtime line', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 4: 'host: linux-mips', 11: 'default_roles: []' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:10: runtime: expected lua-agent, as there is no Bare runtime for linux-mips, got "bare"`)
})

test('the Lua agent on a 64-bit host is reported at the runtime line', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 10: 'runtime: lua-agent', 11: 'default_roles: []' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:10: runtime: expected bare, as linux-arm64 runs the node on Bare, got "lua-agent"`)
})

test('a Lua agent board with default roles is reported at the roles line', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 4: 'host: linux-arm', 10: 'runtime: lua-agent' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:11: default_roles: expected [] for runtime lua-agent (the Lua agent forwards to a node, it is not one), got ["storage","bridge"]`)
})

test('a memory budget not below the RAM is reported at the budget line', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 9: 'memory_budget_mb: 1024' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:9: memory_budget_mb: expected less than ram_mb (1024), got 1024`)
})

test('a board with the storage role and no storage budget is refused at the roles line, with a hint', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 12: null }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:11: default_roles: the storage role needs storage_budget_mb (how much of the disk users' cores may use), got ["storage","bridge"]`)
  t.regex(err.hint ?? '', /storage_budget_mb: 8192/)
})

test('a relative storage path is refused', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 8: 'storage_path: var/lib/roost' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:8: storage_path: expected an absolute path on the device, got "var/lib/roost"`)
})

test('an init system that does not match the OS is refused', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 6: 'init: procd' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:6: init: expected systemd, the init system of Debian, got "procd"`)
})

test('an OpenWrt board without openwrt_arch is refused with the target\'s CPU_TYPE as the hint', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 5: 'os: openwrt', 6: 'init: procd' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:1: openwrt_arch: required field is missing`)
  t.is(err.hint, 'add openwrt_arch: the CPU_TYPE of the board\'s OpenWrt target, e.g. aarch64_cortex-a53 for mediatek/filogic')
})

test('an openwrt_arch of another CPU family than the host is refused', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 5: 'os: openwrt', 6: 'init: procd\nopenwrt_arch: mips_24kc' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:7: openwrt_arch: expected an architecture starting with aarch64_ for host linux-arm64, got "mips_24kc"`)
})

test('openwrt_arch on a board that is not OpenWrt is refused', (t) => {
  const { dir, file } = writeBoard(t, [...VALID_BOARD, 'openwrt_arch: aarch64_generic'])
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:13: openwrt_arch: only for os: openwrt, got "aarch64_generic"`)
})

test('every OpenWrt board names its package architecture', (t) => {
  const archs = Object.fromEntries(loadBoards().filter((board) => board.os === 'openwrt').map((board) => [board.id, board.openwrtArch]))
  t.deepEqual(archs, {
    'bananapi-bpi-r4': 'aarch64_cortex-a53',
    'glinet-gl-mt6000': 'aarch64_cortex-a53',
    'linksys-wrt3200acm': 'arm_cortex-a9_vfpv3-d16',
    'tplink-archer-c7-v5': 'mips_24kc'
  })
})

test('a YAML syntax error names the file and line', (t) => {
  const { dir, file } = writeBoard(t, withLines({ 8: 'storage_path: /var/lib: roost' }))
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.code, 'YAML_SYNTAX')
  t.is(err.message, `${file}:8: nested mappings are not allowed in compact mappings`)
  t.is(err.line, 8)
  t.is(err.hint, 'put a value that contains ": " in quotes')
})

test('a duplicate key is a YAML error at the second occurrence', (t) => {
  const { dir, file } = writeBoard(t, [...VALID_BOARD, 'ram_mb: 2048'])
  const err = configError(t, () => loadBoard('test-board', dir))
  t.is(err.message, `${file}:13: map keys must be unique`)
})

test('an empty board file is reported as such', (t) => {
  const err = configError(t, () => parseBoard('board-configs/empty.yaml', ''))
  t.is(err.message, 'board-configs/empty.yaml:1: (root): expected a mapping of fields, got an empty file')
})

test('a long offending value is shortened in the message', (t) => {
  const err = configError(t, () => parseBoard('board-configs/test-board.yaml', withLines({ 7: `ram_mb: ${'9'.repeat(20)}GB of memory, roughly speaking` }).join('\n')))
  t.is(err.message, 'board-configs/test-board.yaml:7: ram_mb: expected a number, got "99999999999999999999GB of memory, roug…')
})
