import type { ExecutionContext } from 'ava'
import { launchNode as launch, type LaunchOptions } from '../../tools/harness/local-node.ts'
import type { NodeProcess } from '../../tools/harness/node-process.ts'

// Starts a built node from its artifact (tools/harness) and always stops it when the test ends.
export function launchNode (t: ExecutionContext, opts: LaunchOptions): NodeProcess {
  const proc = launch(opts)
  t.teardown(async () => { await proc.stop(1000) })
  return proc
}
