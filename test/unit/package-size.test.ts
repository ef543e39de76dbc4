// What the bench reads back from a package: tarFiles returns what tar() wrote, and an
// .ipk's installed size is the bytes of the files it installs, beside the Installed-Size
// its control file declares.
import test from 'ava'
import { agentIpk } from '../../targets/lua/ipk.ts'
import { tar, tarFiles } from '../../targets/tar.ts'
import { ipkInstalledSize } from '../../tools/bench/agent/package.ts'

test('tarFiles reads back the files tar() wrote, long paths and empty files included, and skips folders', (t) => {
  const long = `./${'deep/'.repeat(30)}file`
  const archive = tar([
    { path: './', mode: 0o755 },
    { path: './usr/bin/', mode: 0o755 },
    { path: './usr/bin/roost-agent', mode: 0o755, data: Buffer.alloc(1000, 0x61) },
    { path: './empty', mode: 0o644, data: Buffer.alloc(0) },
    { path: long, mode: 0o644, data: Buffer.from('x'.repeat(513)) }
  ])
  t.deepEqual(tarFiles(archive).map((f) => [f.path, f.data.toString()]), [
    ['./usr/bin/roost-agent', 'a'.repeat(1000)],
    ['./empty', ''],
    [long, 'x'.repeat(513)]
  ])
})

test('an agent .ipk installs the bytes of its three files; its Installed-Size counts the data tar', (t) => {
  const board = { id: 'test-router', name: 'Test Router', host: 'linux-mips', storagePath: '/etc/roost', openwrtArch: 'mips_24kc' }
  const files = { lua: Buffer.alloc(3000, 0x2d), init: Buffer.from('#!/bin/sh /etc/rc.common\n'), uci: Buffer.from("config agent 'main'\n") }
  const { ipk, control } = agentIpk(board, '0.1.0', files)
  const sizes = ipkInstalledSize(ipk)
  t.is(sizes.installedBytes, files.lua.length + files.init.length + files.uci.length)
  t.is(sizes.installedSizeField, Number(control['Installed-Size']))
  t.true(sizes.installedSizeField > sizes.installedBytes, 'tar headers and padding come on top')
})
