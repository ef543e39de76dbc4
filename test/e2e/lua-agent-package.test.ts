// `roost build` for the routers that run the Lua agent: the artifact folder, its manifest,
// and the .ipk unpacked as opkg unpacks it: control fields, modes, valid sh, the agent
// itself runnable by lua5.3 from the package, byte-identical rebuilds and the size budget.
import test, { type ExecutionContext } from 'ava'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { readAgentConfig } from '../../targets/lua/agent/config.ts'
import { buildAgentArtifact, type AgentArtifactResult } from '../../targets/lua/artifact.ts'
import { loadBoards, type Board } from '../../tools/config/boards.ts'
import { assertValidScripts, unpackIpk } from '../helpers/ipk.ts'
import { runTool } from '../helpers/system-tool.ts'
import { tmpDir } from '../helpers/tmp.ts'

// The budget for the whole package on a router's flash.
const PACKAGE_BUDGET_BYTES = 64 * 1024

const AGENT_BOARDS = loadBoards().filter((board) => board.program === 'lua-agent')

// One build per board for the file's tests (compiling the agent takes seconds); the
// byte-identity test builds again on its own.
const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-agent-artifacts-'))
test.after.always(() => { fs.rmSync(buildDir, { recursive: true, force: true }) })
const builds = new Map<string, Promise<AgentArtifactResult>>()

function build (board: Board): Promise<AgentArtifactResult> {
  if (!builds.has(board.id)) builds.set(board.id, buildAgentArtifact({ board, outDir: path.join(buildDir, board.id) }))
  return builds.get(board.id)!
}

test('every lua-agent board is built: two of them, MIPS and 32-bit ARM', (t) => {
  t.deepEqual(AGENT_BOARDS.map((board) => [board.id, board.openwrtArch]), [['linksys-wrt3200acm', 'arm_cortex-a9_vfpv3-d16'], ['tplink-archer-c7-v5', 'mips_24kc']])
})

for (const board of AGENT_BOARDS) {
  test(`${board.id}: the folder holds the agent, its init script, UCI template, INSTALL.md and .ipk, each in manifest.json`, async (t) => {
    const { outDir, manifest } = await build(board)
    const packageFile = `roost-agent_0.1.0-1_${board.openwrtArch}.ipk`
    t.deepEqual(fs.readdirSync(outDir).sort(), ['INSTALL.md', 'manifest.json', 'roost-agent.init', 'roost-agent.lua', 'roost-agent.uci', packageFile])
    t.like(manifest, { name: 'roost-agent', boardId: board.id, host: board.host, openwrtArch: board.openwrtArch, package: { file: packageFile, depends: ['lua5.3', 'luasocket5.3'] } })
    t.deepEqual(JSON.parse(fs.readFileSync(path.join(outDir, 'manifest.json'), 'utf8')), manifest)
    t.deepEqual(manifest.files.map((f) => f.path), ['INSTALL.md', 'roost-agent.init', 'roost-agent.lua', 'roost-agent.uci', packageFile])
    for (const file of manifest.files) {
      const data = fs.readFileSync(path.join(outDir, file.path))
      t.is(file.size, data.length, file.path)
      t.is(file.sha256, crypto.createHash('sha256').update(data).digest('hex'), file.path)
    }
    t.is(fs.statSync(path.join(outDir, 'roost-agent.lua')).mode & 0o777, 0o755)
    t.true(fs.readFileSync(path.join(outDir, 'roost-agent.lua'), 'utf8').startsWith('#!/usr/bin/lua5.3\n'))
    const notes = fs.readFileSync(path.join(outDir, 'INSTALL.md'), 'utf8')
    t.true(notes.includes('opkg update && opkg install lua5.3 luasocket5.3'))
    t.true(notes.includes(`opkg install /tmp/${packageFile}`))
  })

  test(`${board.id}: the .ipk's control, conffiles and files with their modes, owned by root`, async (t) => {
    const { outDir, manifest } = await build(board)
    const { outer, control, dir, modes } = unpackIpk(t, path.join(outDir, manifest.package.file))
    t.deepEqual(outer, ['./debian-binary', './data.tar.gz', './control.tar.gz'])
    t.is(fs.readFileSync(path.join(dir, 'debian-binary'), 'utf8'), '2.0\n')
    const dataTar = runTool(t, 'gzip', ['-dc', path.join(dir, 'data.tar.gz')], { encoding: 'latin1' })
    t.deepEqual(control, {
      Package: 'roost-agent',
      Version: '0.1.0-1',
      Depends: 'lua5.3, luasocket5.3',
      Source: 'roost',
      License: 'Apache-2.0',
      Section: 'net',
      Architecture: board.openwrtArch!,
      'Installed-Size': String(Buffer.byteLength(dataTar.stdout, 'latin1')),
      Maintainer: 'roost developers',
      Description: `roost Lua agent for ${board.name}: sends the router's readings to a roost node on the LAN`
    })
    t.is(fs.readFileSync(path.join(dir, 'control', 'conffiles'), 'utf8'), '/etc/config/roost-agent\n')
    t.like(modes, {
      './usr/bin/roost-agent': '-rwxr-xr-x 0/0',
      './etc/init.d/roost-agent': '-rwxr-xr-x 0/0',
      './etc/config/roost-agent': '-rw------- 0/0'
    })
    t.deepEqual(Object.keys(modes).filter((entry) => !entry.endsWith('/')).sort(), ['./etc/config/roost-agent', './etc/init.d/roost-agent', './usr/bin/roost-agent'])
    for (const [installed, built] of [['usr/bin/roost-agent', 'roost-agent.lua'], ['etc/init.d/roost-agent', 'roost-agent.init'], ['etc/config/roost-agent', 'roost-agent.uci']]) {
      t.true(fs.readFileSync(path.join(dir, 'data', installed)).equals(fs.readFileSync(path.join(outDir, built))), installed)
    }
  })

  test(`${board.id}: the init script and the maintainer scripts are valid sh, and postinst keeps the queue over a sysupgrade`, async (t) => {
    const { outDir, manifest } = await build(board)
    const { dir } = unpackIpk(t, path.join(outDir, manifest.package.file))
    assertValidScripts(t, dir, ['control/postinst', 'control/prerm', 'data/etc/init.d/roost-agent'])
    const postinst = fs.readFileSync(path.join(dir, 'control/postinst'), 'utf8').split('\n')
    for (const line of ['[ -n "$IPKG_INSTROOT" ] && exit 0', `QUEUE_DIR='${board.storagePath}/queue'`, 'chmod 600 "$UCI_FILE"', '"$INIT_FILE" enable']) {
      t.true(postinst.includes(line), line)
    }
    t.true(fs.readFileSync(path.join(dir, 'control/prerm'), 'utf8').split('\n').includes('"$INIT_FILE" disable'))
    const init = fs.readFileSync(path.join(dir, 'data/etc/init.d/roost-agent'), 'utf8').split('\n').map((line) => line.trim())
    for (const line of ['USE_PROCD=1', 'config_load roost-agent', 'config_get_bool enabled main enabled 1', 'procd_set_param command /usr/bin/roost-agent /etc/config/roost-agent',
      'procd_set_param respawn 3600 5 0', 'procd_set_param limits core="0 0"', 'procd_set_param file /etc/config/roost-agent', 'procd_add_reload_trigger roost-agent']) {
      t.true(init.includes(line), line)
    }
  })

  test(`${board.id}: the packaged agent runs under lua5.3 and, on the untouched template, asks for node, id and key`, async (t) => {
    const { outDir, manifest } = await build(board)
    const { dir } = unpackIpk(t, path.join(outDir, manifest.package.file))
    const template = path.join(dir, 'data/etc/config/roost-agent')
    const checked = readAgentConfig(fs.readFileSync(template, 'utf8'))
    t.deepEqual(checked.ok ? [] : checked.problems.map((p) => p.field), ['option node', 'option id', 'option key'])
    const result = runTool(t, 'lua5.3', [path.join(dir, 'data/usr/bin/roost-agent'), template])
    t.is(result.code, 1)
    t.regex(result.stderr, /:\d+: option node: missing: the roost node's address on the LAN, HOST:PORT\n/)
    t.regex(result.stderr, /roost-agent: 3 problem\(s\) in .*; nothing was sent\n$/)
    const scratch = tmpDir(t)
    const filled = path.join(scratch, 'roost-agent')
    fs.writeFileSync(filled, fs.readFileSync(template, 'utf8').replace(`option queue '${board.storagePath}/queue'`, `option queue '${scratch}/queue'`)
      .replace("option node ''", "option node '127.0.0.1:9'").replace("option id ''", `option id '${'ab'.repeat(8)}'`).replace("option key ''", `option key '${'cd'.repeat(32)}'`), { mode: 0o600 })
    const check = runTool(t, 'lua5.3', [path.join(dir, 'data/usr/bin/roost-agent'), '--check', filled])
    t.deepEqual([check.code, check.stdout, check.stderr], [0, `roost-agent: ${filled} is a valid config\n`, ''])
    t.false(fs.existsSync(`${scratch}/queue`), '--check made the queue folder')
  })

  test(`${board.id}: built twice, byte for byte the same, within ${PACKAGE_BUDGET_BYTES / 1024} KB`, async (t) => {
    const first = await build(board)
    const second = await buildAgentArtifact({ board, outDir: path.join(tmpDir(t), 'again') })
    for (const file of [...first.manifest.files.map((f) => f.path), 'manifest.json']) {
      t.true(fs.readFileSync(path.join(first.outDir, file)).equals(fs.readFileSync(path.join(second.outDir, file))), file)
      t.is(fs.statSync(path.join(first.outDir, file)).mode, fs.statSync(path.join(second.outDir, file)).mode, file)
    }
    const { package: ipk, bundle } = first.manifest
    t.log(`${ipk.file}: ${ipk.bytes} bytes; ${bundle.file}: ${bundle.bytes} bytes`)
    t.true(ipk.bytes <= PACKAGE_BUDGET_BYTES, `${ipk.bytes} bytes`)
  })
}
