import test from 'ava'
import { byVersion } from '../../targets/elf.ts'

test('glibc versions sort by number, not by text: 2.4 before 2.34', (t) => {
  t.deepEqual(['2.34', '2.4', '2.17', '2.3.4'].sort(byVersion), ['2.3.4', '2.4', '2.17', '2.34'])
})
