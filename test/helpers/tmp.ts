import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ExecutionContext } from 'ava'

// A fresh folder removed when the test ends, passed or failed.
export function tmpDir (t: ExecutionContext, prefix = 'roost-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}
