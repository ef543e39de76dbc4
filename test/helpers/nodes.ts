import path from 'node:path'
import type { ExecutionContext } from 'ava'
import type { NodeConfigFile } from '../../node/config/types.ts'
import { defaultConfig } from '../../targets/artifact.ts'
import type { Runtime } from '../../targets/bundle.ts'
import type { Board } from '../../tools/config/boards.ts'
import { startNode, writeConfig } from '../../tools/harness/local-node.ts'
import { watchNode, type NodeProcess } from '../../tools/harness/node-process.ts'

// Starts a built node from its artifact and always stops it when the test ends.
export function launchNode (t: ExecutionContext, opts: {
  artifactDir: string
  runtime: Runtime
  board: Board
  work: string
  name: string
  config: Partial<NodeConfigFile>
  // Starts the node inside this cgroup (helpers/memory-cgroup.ts).
  cgroupProcs?: string
}): NodeProcess {
  const configFile = path.join(opts.work, `${opts.name}.json`)
  writeConfig(configFile, { ...defaultConfig(opts.board), storage: path.join(opts.work, opts.name), roles: [], ...opts.config })
  const proc = watchNode(startNode(opts.artifactDir, opts.runtime, configFile, 'pipe', { cgroupProcs: opts.cgroupProcs }))
  t.teardown(async () => { await proc.stop(1000) })
  return proc
}
