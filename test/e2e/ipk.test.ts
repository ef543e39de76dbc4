// The OpenWrt package, unpacked with the system's tar the way opkg unpacks it: the outer
// gzip'd tar, then control.tar.gz and data.tar.gz.
import test, { type ExecutionContext } from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { BuildError } from '../../targets/errors.ts'
import { buildIpk, ipkFileName, type IpkOptions } from '../../targets/ipk.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { sharedArtifact } from '../helpers/artifacts.ts'
import { assertValidScripts, unpackIpk as unpack } from '../helpers/ipk.ts'
import { runTool } from '../helpers/system-tool.ts'
import { tmpDir } from '../helpers/tmp.ts'

// Measured: 5.1 MB for both linux-arm64 routers (11.7 MiB unpacked) since the build strips
// the addons (9.6 MB before). Room for growth, but a package near twice that size would
// mean something came in that should not have, or unstripped native code.
const IPK_BUDGET_BYTES = 8 * 1024 * 1024

async function ipkFor (t: ExecutionContext, boardId: string, device?: IpkOptions['device']): Promise<{ file: string, bytes: number }> {
  const board = loadBoard(boardId)
  const { outDir } = await sharedArtifact(boardId)
  return buildIpk({ artifactDir: outDir, board, outFile: path.join(tmpDir(t), ipkFileName('0.1.0', board.openwrtArch ?? '')), device })
}

test('the .ipk is a gzip\'d tar of debian-binary, data.tar.gz and control.tar.gz, as opkg reads it', async (t) => {
  const { outer, dir } = unpack(t, (await ipkFor(t, 'glinet-gl-mt6000')).file)
  t.deepEqual(outer, ['./debian-binary', './data.tar.gz', './control.tar.gz'])
  t.is(fs.readFileSync(path.join(dir, 'debian-binary'), 'utf8'), '2.0\n')
  t.deepEqual(fs.readdirSync(path.join(dir, 'control')).sort(), ['conffiles', 'control', 'postinst', 'prerm'])
})

test('the control file names the package, version, OpenWrt architecture, dependencies and unpacked size', async (t) => {
  const { control, dir } = unpack(t, (await ipkFor(t, 'glinet-gl-mt6000')).file)
  const dataTar = runTool(t, 'gzip', ['-dc', path.join(dir, 'data.tar.gz')], { encoding: 'latin1', maxBuffer: 256 * 1024 * 1024 })
  t.deepEqual(control, {
    Package: 'roost',
    Version: '0.1.0-1',
    Depends: 'libc, libatomic1, libgcc1, libstdcpp6',
    Source: 'roost',
    License: 'Apache-2.0',
    Section: 'net',
    Architecture: 'aarch64_cortex-a53',
    'Installed-Size': String(Buffer.byteLength(dataTar.stdout, 'latin1')),
    Maintainer: 'roost developers',
    Description: 'roost home peer for GL.iNet GL-MT6000 (Flint 2)'
  })
  t.is(fs.readFileSync(path.join(dir, 'control', 'conffiles'), 'utf8'), '/etc/config/roost\n')
})

test('the package holds the artifact under /opt/roost, the procd script and the UCI config, owned by root with their modes', async (t) => {
  const { outDir, manifest } = await sharedArtifact('glinet-gl-mt6000')
  const { dir, modes } = unpack(t, (await ipkFor(t, 'glinet-gl-mt6000')).file)
  for (const file of [...manifest.files.map((f) => f.path), 'manifest.json']) {
    t.true(fs.readFileSync(path.join(dir, 'data/opt/roost', file)).equals(fs.readFileSync(path.join(outDir, file))), file)
  }
  t.is(modes['./etc/init.d/roost'], '-rwxr-xr-x 0/0')
  t.is(modes['./etc/config/roost'], '-rw-r--r-- 0/0')
  t.is(modes['./opt/roost/roost-node.cjs'], '-rw-r--r-- 0/0')
  t.false('./opt/roost/identity.json' in modes)
  t.is(fs.readFileSync(path.join(dir, 'data/etc/init.d/roost'), 'utf8'), fs.readFileSync(path.join(outDir, 'roost.init'), 'utf8'))
  const uci = fs.readFileSync(path.join(dir, 'data/etc/config/roost'), 'utf8').split('\n')
  for (const line of ["config roost 'main'", "\toption enabled '1'", "\toption config '/opt/roost/config.json'", "\toption data_dir '/srv/roost'"]) {
    t.true(uci.includes(line), line)
  }
})

test('every script in the package is valid sh, and postinst starts nothing in an image build', async (t) => {
  const { dir } = unpack(t, (await ipkFor(t, 'glinet-gl-mt6000')).file)
  assertValidScripts(t, dir, ['control/postinst', 'control/prerm', 'data/etc/init.d/roost'])
  const postinst = fs.readFileSync(path.join(dir, 'control/postinst'), 'utf8').split('\n')
  t.true(postinst.includes('[ -n "$IPKG_INSTROOT" ] && exit 0'))
  t.true(postinst.includes('/etc/init.d/roost enable'))
  t.true(fs.readFileSync(path.join(dir, 'control/prerm'), 'utf8').split('\n').includes('/etc/init.d/roost disable'))
})

test('the procd script respawns the node without a limit and reads its settings from UCI', async (t) => {
  const { dir } = unpack(t, (await ipkFor(t, 'glinet-gl-mt6000')).file)
  const lines = fs.readFileSync(path.join(dir, 'data/etc/init.d/roost'), 'utf8').split('\n').map((line) => line.trim())
  for (const line of ['procd_set_param respawn 3600 5 0', 'procd_set_param limits core="0 0" nofile="16384 16384"', 'procd_set_param term_timeout 10', 'config_load roost', 'procd_add_reload_trigger roost']) {
    t.true(lines.includes(line), line)
  }
})

test('a per-device package carries the device\'s config, its data folder in UCI, and its identity, mode 0600, to be moved there', async (t) => {
  const config = path.join(tmpDir(t), 'config.json')
  fs.writeFileSync(config, '{"version":1,"dataDir":"/mnt/nvme/roost"}\n')
  const { file: identity } = loadOrCreateIdentity(tmpDir(t))
  const { dir, modes, control } = unpack(t, (await ipkFor(t, 'bananapi-bpi-r4', { name: 'attic', configFile: config, identityFile: identity })).file)
  t.is(fs.readFileSync(path.join(dir, 'data/opt/roost/config.json'), 'utf8'), fs.readFileSync(config, 'utf8'))
  t.true(fs.readFileSync(path.join(dir, 'data/opt/roost/identity.json')).equals(fs.readFileSync(identity)))
  t.is(modes['./opt/roost/identity.json'], '-rw------- 0/0')
  t.is(control.Description, 'roost home peer for Banana Pi BPI-R4 (device attic)')
  t.true(fs.readFileSync(path.join(dir, 'data/etc/config/roost'), 'utf8').split('\n').includes("\toption data_dir '/mnt/nvme/roost'"))
  t.true(fs.readFileSync(path.join(dir, 'control/postinst'), 'utf8').split('\n').includes("DATA_DIR='/mnt/nvme/roost'"))
})

test('building the same package twice gives the same bytes', async (t) => {
  const first = await ipkFor(t, 'glinet-gl-mt6000')
  const second = await ipkFor(t, 'glinet-gl-mt6000')
  t.true(fs.readFileSync(first.file).equals(fs.readFileSync(second.file)))
})

for (const boardId of ['glinet-gl-mt6000', 'bananapi-bpi-r4']) {
  test(`the ${boardId} package is within ${IPK_BUDGET_BYTES / 1024 / 1024} MiB`, async (t) => {
    const { file, bytes } = await ipkFor(t, boardId)
    t.is(fs.statSync(file).size, bytes)
    t.log(`${path.basename(file)}: ${bytes} bytes`)
    t.true(bytes <= IPK_BUDGET_BYTES, `${bytes} bytes`)
  })
}

test('a package for a systemd board is refused: it gets install.sh', async (t) => {
  const { outDir } = await sharedArtifact('raspberry-pi-4b')
  const err = t.throws(() => buildIpk({ artifactDir: outDir, board: loadBoard('raspberry-pi-4b'), outFile: path.join(tmpDir(t), 'x.ipk') }), { instanceOf: BuildError })
  t.is(err?.code, 'NOT_OPENWRT_BOARD')
})

test('a package from another board\'s artifact is refused', async (t) => {
  const { outDir } = await sharedArtifact('glinet-gl-mt6000')
  const err = t.throws(() => buildIpk({ artifactDir: outDir, board: loadBoard('bananapi-bpi-r4'), outFile: path.join(tmpDir(t), 'x.ipk') }), { instanceOf: BuildError })
  t.is(err?.message, `${outDir} is an artifact for glinet-gl-mt6000, not for bananapi-bpi-r4`)
})
