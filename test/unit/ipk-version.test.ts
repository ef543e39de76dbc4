import test from 'ava'
import { ipkFileName, opkgVersion } from '../../targets/ipk.ts'

test('a release version gets the package release after a hyphen', (t) => {
  t.is(opkgVersion('0.1.0'), '0.1.0-1')
})

test('a pre-release sorts before its release for opkg: its hyphen becomes a tilde', (t) => {
  t.is(opkgVersion('1.0.0-rc.1'), '1.0.0~rc.1-1')
})

test('the package file is named as ipkg-build names it: package_version_architecture.ipk', (t) => {
  t.is(ipkFileName('0.1.0', 'aarch64_cortex-a53'), 'roost_0.1.0-1_aarch64_cortex-a53.ipk')
})
