import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildArtifact, type ArtifactResult } from '../../targets/artifact.ts'
import type { Runtime } from '../../targets/bundle.ts'
import { loadBoard } from '../../tools/config/boards.ts'

// Several tests of a file read one build of a board, so it is built once per file. Its
// folder outlives any single test, so it cannot come from tmpDir(t) (its teardown would
// remove it when the first test ends, and ava allows no teardown in hooks); it is
// removed after all tests of the file instead, passed or failed.
const sharedBuilds = new Map<string, Promise<ArtifactResult>>()
const sharedDirs: string[] = []
test.after.always(() => {
  for (const dir of sharedDirs) fs.rmSync(dir, { recursive: true, force: true })
})

// `tls`: as `roost build --tls`; without it, as the board's default config gives (none).
export function sharedArtifact (boardId: string, runtime: Runtime = 'bare', opts: { tls?: boolean } = {}): Promise<ArtifactResult> {
  const key = `${boardId}-${runtime}${opts.tls === true ? '-tls' : ''}`
  let build = sharedBuilds.get(key)
  if (!build) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-test-'))
    sharedDirs.push(dir)
    build = buildArtifact({ board: loadBoard(boardId), runtime, outDir: path.join(dir, key), tls: opts.tls })
    sharedBuilds.set(key, build)
  }
  return build
}
