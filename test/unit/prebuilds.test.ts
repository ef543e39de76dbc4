// The one prebuild the build keeps of an addon package is the one its runtime's loader
// would pick among several (bare-addon-resolve's order, which require-addon shares).
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { loadedPrebuild } from '../../targets/prebuilds.ts'
import { tmpDir } from '../helpers/tmp.ts'

function packageWith (dir: string, host: string, files: string[]): string {
  fs.mkdirSync(path.join(dir, 'prebuilds', host), { recursive: true })
  for (const file of files) fs.writeFileSync(path.join(dir, 'prebuilds', host, file), '')
  return dir
}

test('a versioned prebuild comes before an unversioned one, and Bare takes .bare before .node', (t) => {
  const dir = packageWith(tmpDir(t), 'linux-arm64', ['udx-native.bare', 'udx-native.node', 'udx-native@1.21.3.node', 'udx-native@1.0.0.bare', 'other.bare'])
  const pkg = { name: 'udx-native', version: '1.21.3', dir }
  t.is(loadedPrebuild(pkg, 'linux-arm64', 'bare'), 'udx-native@1.21.3.node')
  t.is(loadedPrebuild(pkg, 'linux-arm64', 'node'), 'udx-native@1.21.3.node')
  t.is(loadedPrebuild({ ...pkg, version: '1.21.4' }, 'linux-arm64', 'bare'), 'udx-native.bare')
  t.is(loadedPrebuild({ ...pkg, version: '1.21.4' }, 'linux-arm64', 'node'), 'udx-native.node')
})

test('Node.js never takes a .bare prebuild, and a host without prebuilds has none', (t) => {
  const dir = packageWith(tmpDir(t), 'linux-x64', ['bare-tls.bare'])
  t.is(loadedPrebuild({ name: 'bare-tls', version: '3.1.11', dir }, 'linux-x64', 'node'), null)
  t.is(loadedPrebuild({ name: 'bare-tls', version: '3.1.11', dir }, 'linux-arm64', 'bare'), null)
  t.is(loadedPrebuild({ name: 'bare-tls', version: '3.1.11', dir }, 'linux-x64', 'bare'), 'bare-tls.bare')
})

test('a scoped package\'s prebuild is named without the @ and with __ for the slash', (t) => {
  const dir = packageWith(tmpDir(t), 'linux-x64', ['scope__addon.bare', '@scope__addon.bare', 'addon.bare'])
  t.is(loadedPrebuild({ name: '@scope/addon', version: '1.0.0', dir }, 'linux-x64', 'bare'), 'scope__addon.bare')
})
