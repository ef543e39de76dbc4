import test, { type ExecutionContext } from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { serviceFile } from '../../targets/service.ts'
import { loadBoards } from '../../tools/config/boards.ts'
import { runTool } from '../helpers/system-tool.ts'
import { tmpDir } from '../helpers/tmp.ts'

// `systemd-analyze security` rated the hardened unit 1.1 (the first unit: 8.3). A change
// that weakens it fails here; one that strengthens it may lower this bound.
const EXPOSURE_BOUND = 1.1

const systemdBoards = loadBoards().filter((board) => board.init === 'systemd')

// systemd-analyze fails a unit whose ExecStart binary is missing on this machine, and
// /opt/roost/bin/bare exists only on the device, so the copy starts /bin/true with the
// same arguments; every other line is checked as shipped.
function unitOnThisMachine (t: ExecutionContext, boardId: string): string {
  const board = systemdBoards.find((b) => b.id === boardId)
  if (board === undefined) throw new TypeError(`${boardId} is not a systemd board`)
  const { text } = serviceFile(board, '/opt/roost/bin/bare')
  const file = path.join(tmpDir(t), 'roost.service')
  fs.writeFileSync(file, text.replace(/^ExecStart=\/opt\/roost\/bin\/bare /m, 'ExecStart=/bin/true '))
  return file
}

function directives (file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((line) => /^[A-Z][A-Za-z]+=/.test(line))
}

for (const board of systemdBoards) {
  test(`the ${board.id} unit passes systemd-analyze verify without a warning`, (t) => {
    const result = runTool(t, 'systemd-analyze', ['verify', unitOnThisMachine(t, board.id)])
    // verify exits 0 for unknown keys and values it ignores; it warns about them on stderr.
    t.is(result.stderr, '')
    t.is(result.code, 0)
  })

  test(`the ${board.id} unit's systemd-analyze security exposure is at most ${EXPOSURE_BOUND}`, (t) => {
    const result = runTool(t, 'systemd-analyze', ['security', '--offline=yes', unitOnThisMachine(t, board.id)])
    t.is(result.code, 0, result.stderr)
    const score = /Overall exposure level for roost\.service: (\d+\.\d+)/.exec(result.stdout)?.[1]
    t.truthy(score, result.stdout)
    t.true(Number(score) <= EXPOSURE_BOUND, `exposure ${score ?? '?'} is over ${EXPOSURE_BOUND}:\n${result.stdout}`)
  })
}

test('the unit restarts the node whatever way it exits, within the board\'s memory budget', (t) => {
  const lines = directives(unitOnThisMachine(t, 'raspberry-pi-zero-2-w'))
  t.true(lines.includes('Restart=always'))
  t.true(lines.includes('MemoryMax=96M'))
})

test('the unit runs the node as the roost user, writing only its storage path', (t) => {
  const lines = directives(unitOnThisMachine(t, 'raspberry-pi-4b'))
  for (const line of ['User=roost', 'Group=roost', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/roost', 'UMask=0077', 'CapabilityBoundingSet=']) {
    t.true(lines.includes(line), line)
  }
  t.false(lines.some((line) => line.startsWith('DynamicUser=')))
})

test('the unit lets V8 write the code it runs: no MemoryDenyWriteExecute', (t) => {
  const lines = directives(unitOnThisMachine(t, 'x86-64-mini-pc'))
  t.false(lines.some((line) => line.startsWith('MemoryDenyWriteExecute=')))
})

test('the unit allows netlink sockets, which udx lists network interfaces with', (t) => {
  const lines = directives(unitOnThisMachine(t, 'x86-64-mini-pc'))
  t.true(lines.includes('RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK'))
})
