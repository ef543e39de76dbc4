// The node's heap trim (node/platform/heap-trim.ts): a full collection once the process's
// anonymous memory has grown since the last one, none while it has not, none after
// close, and nothing at all where the runtime gives no gc().
import test from 'ava'
import { GROWTH_BYTES, startHeapTrim } from '../../node/platform/heap-trim.ts'
import { until } from '../../tools/harness/wait.ts'

const MIB = 1024 * 1024

test('collects first, then only when anonymous memory grew by GROWTH_BYTES since the last collection', async (t) => {
  let anon = 40 * MIB
  let collections = 0
  let checks = 0
  const trim = startHeapTrim({
    every: 5,
    collect () { collections++; anon -= 8 * MIB },
    anonBytes () { checks++; return anon }
  })
  t.teardown(() => trim.close())
  t.true(trim.running)
  await until('the first collection', () => collections === 1 ? true : undefined, 5_000, 2)
  const settled = checks
  await until('ten more looks', () => checks >= settled + 10 ? true : undefined, 5_000, 2)
  t.is(collections, 1, 'collected with nothing grown')
  anon += GROWTH_BYTES - 1
  const grownALittle = checks
  await until('ten more looks', () => checks >= grownALittle + 10 ? true : undefined, 5_000, 2)
  t.is(collections, 1, 'collected for less than GROWTH_BYTES')
  anon += 1
  await until('the second collection', () => collections === 2 ? true : undefined, 5_000, 2)
  trim.close()
  const atClose = checks
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.is(checks, atClose, 'looked after close')
})

test('where memory cannot be read it collects every period', async (t) => {
  let collections = 0
  const trim = startHeapTrim({ every: 5, collect () { collections++ }, anonBytes: () => null })
  t.teardown(() => trim.close())
  await until('three collections', () => collections >= 3 ? true : undefined, 5_000, 2)
  t.pass()
})

test('without gc() (a runtime started without --expose-gc) it does nothing and says so', (t) => {
  const trim = startHeapTrim({ every: 5, collect: null })
  t.false(trim.running)
  trim.close()
})
