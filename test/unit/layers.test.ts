// Imports point one way: tools → targets → node, and inside tools the CLI sits on top of
// the rest (docs/architecture.md). This test reads every import of every source file.
import fs from 'node:fs'
import path from 'node:path'
import test from 'ava'
import { REPO_ROOT } from '../../targets/bundle.ts'

// Folder → the folders its files may import from (besides their own and npm packages).
const ALLOWED: Record<string, string[]> = {
  node: ['node'],
  targets: ['targets', 'node'],
  'tools/config': ['tools/config', 'targets', 'node'],
  'tools/client': ['tools/client', 'node'],
  'tools/provision': ['tools/provision', 'tools/config', 'targets', 'node'],
  'tools/harness': ['tools/harness', 'tools/client', 'tools/config', 'targets', 'node'],
  'tools/bench': ['tools/bench', 'tools/harness', 'tools/provision', 'tools/client', 'tools/config', 'targets', 'node'],
  'tools/demo': ['tools/demo', 'tools/harness', 'tools/client', 'tools/config', 'targets', 'node'],
  'tools/cli': ['tools', 'targets', 'node']
}

function layerOf (file: string): string | undefined {
  return Object.keys(ALLOWED).sort((a, b) => b.length - a.length).find((layer) => file === layer || file.startsWith(layer + '/'))
}

function sourceFiles (): string[] {
  return ['node', 'targets', 'tools'].flatMap((dir) => fs.readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|cts)$/.test(f))
    .map((f) => path.posix.join(dir, f.split(path.sep).join('/'))))
}

test('every import points down the layers: tools → targets → node, and only the CLI uses the CLI', (t) => {
  const files = sourceFiles()
  t.true(files.length > 80, `only ${files.length} files`)
  const wrong: string[] = []
  for (const file of files) {
    const layer = layerOf(file)
    if (layer === undefined) { wrong.push(`${file}: in no layer`); continue }
    const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')
    for (const match of text.matchAll(/(?:from|import|require)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1]))
      const targetLayer = layerOf(target) ?? target.split('/')[0]
      if (!ALLOWED[layer].some((allowed) => targetLayer === allowed || targetLayer.startsWith(allowed + '/'))) {
        wrong.push(`${file} imports ${target}`)
      }
    }
  }
  t.deepEqual(wrong, [])
})

// esbuild gives `import * as x from 'a-commonjs-package'` a getter per export, called on
// every use: compact-encoding's codecs read that way were 7 % of the bridge's CPU per
// reading. The device code takes a package by its default export instead.
test('the device code never imports a package as a namespace', (t) => {
  const wrong = sourceFiles().filter((f) => f.startsWith('node/'))
    .flatMap((file) => [...fs.readFileSync(path.join(REPO_ROOT, file), 'utf8').matchAll(/^import \* as \w+ from '([^.'#][^']*)'/gm)]
      .map((m) => `${file}: ${m[1]}`))
  t.deepEqual(wrong, [])
})
