// The artifact's native code as the build leaves it: stripped by targets/elf-strip.ts to
// what the loader maps, every segment as published, and one prebuild per addon package.
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../../targets/bundle.ts'
import { sharedArtifact } from '../helpers/artifacts.ts'
import { changedSegments, sectionHeaders, SHF_ALLOC } from '../helpers/elf.ts'
import { runTool } from '../helpers/system-tool.ts'
import { tmpDir } from '../helpers/tmp.ts'

const ARTIFACTS = [['x86-64-mini-pc', 'bare'], ['raspberry-pi-4b', 'bare'], ['raspberry-pi-4b', 'node']] as const

// Where a file of the artifact came from before the build stripped it.
function originalOf (file: string, host: string): string {
  if (file === 'bin/bare') return path.join(REPO_ROOT, 'node_modules', `bare-runtime-${host}`, 'bin', 'bare')
  const [, pkg, ...rest] = file.split('/')
  return path.join(REPO_ROOT, 'node_modules', pkg, ...rest)
}

for (const [boardId, runtime] of ARTIFACTS) {
  test(`the native code of the ${boardId} ${runtime} artifact is stripped to its loaded sections, every segment as published`, async (t) => {
    const { outDir, manifest } = await sharedArtifact(boardId, runtime)
    const files = [...manifest.addons.map((a) => a.file), ...(manifest.runtime.file ? [manifest.runtime.file] : [])]
    t.true(files.length > 5, files.join(', '))
    for (const file of files) {
      const bytes = fs.readFileSync(path.join(outDir, file))
      const original = fs.readFileSync(originalOf(file, manifest.host))
      // readelf's reading as well as the test's own: only SHF_ALLOC sections and the names.
      const listed = runTool(t, 'readelf', ['-S', '-W', path.join(outDir, file)])
      t.is(listed.stderr, '', file)
      t.notRegex(listed.stdout, /\] \.(debug_\w+|symtab|strtab|comment|gnu_debuglink) /, file)
      t.deepEqual(sectionHeaders(bytes).filter((s, i) => i > 0 && (s.flags & SHF_ALLOC) === 0n).map((s) => s.name), ['.shstrtab'], file)
      t.true(sectionHeaders(original).some((s) => (s.flags & SHF_ALLOC) === 0n && s.name !== '.shstrtab'), `${file} as published has nothing to strip`)
      t.true(bytes.length < original.length, file)
      t.deepEqual(changedSegments(original, bytes), [], file)
    }
  })
}

test('the x86-64 artifact\'s native code is no bigger than binutils strip makes it', async (t) => {
  const { outDir, manifest } = await sharedArtifact('x86-64-mini-pc')
  const dir = tmpDir(t)
  for (const file of [...manifest.addons.map((a) => a.file), 'bin/bare']) {
    const reference = path.join(dir, path.basename(file))
    fs.copyFileSync(originalOf(file, 'linux-x64'), reference)
    const stripped = runTool(t, 'strip', ['--strip-all', reference])
    t.is(stripped.code, 0, stripped.stderr)
    const ours = fs.statSync(path.join(outDir, file)).size
    t.true(ours <= fs.statSync(reference).size, `${file}: ${ours} bytes, binutils strip: ${fs.statSync(reference).size}`)
  }
})

for (const [boardId, runtime] of ARTIFACTS) {
  test(`each addon package of the ${boardId} ${runtime} artifact carries one prebuild, the one in its manifest`, async (t) => {
    const { outDir, manifest } = await sharedArtifact(boardId, runtime)
    const prebuilds = (fs.readdirSync(path.join(outDir, 'node_modules'), { recursive: true, encoding: 'utf8' }))
      .map((file) => `node_modules/${file.split(path.sep).join('/')}`)
      .filter((file) => /\/prebuilds\/[^/]+\/[^/]+$/.test(file))
      .sort()
    const packages = prebuilds.map((file) => file.slice(0, file.indexOf('/prebuilds/')))
    t.true(packages.length > 5)
    t.deepEqual([...new Set(packages)], packages, prebuilds.join('\n'))
    t.deepEqual(manifest.addons.map((a) => a.file).sort(), prebuilds)
  })
}

test('the x86-64 artifact leaves out the prebuild of an addon its Bare runtime has linked in; the arm64 one, without a runtime, keeps it', async (t) => {
  const x64 = await sharedArtifact('x86-64-mini-pc')
  t.deepEqual(x64.manifest.runtime.staticAddons, ['bare-signals@5.0.0'])
  t.deepEqual(fs.readdirSync(path.join(x64.outDir, 'node_modules', 'bare-signals')).sort(), ['index.js', 'package.json'])
  t.false(x64.manifest.addons.some((a) => a.name === 'bare-signals'))
  const arm64 = await sharedArtifact('raspberry-pi-4b')
  t.is(arm64.manifest.runtime.staticAddons, undefined)
  t.true(arm64.manifest.addons.some((a) => a.file === 'node_modules/bare-signals/prebuilds/linux-arm64/bare-signals.bare'))
})
