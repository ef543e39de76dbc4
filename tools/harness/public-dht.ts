// The public DHT of a network lab: bootstrap and persistent nodes on the lab's public
// segment (public-dht-main.ts, run inside the public namespace), as the public HyperDHT
// bootstrap nodes are on the internet. The caller stops it; it also dies with this
// process, and with the lab's namespaces.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { REPO_ROOT } from '../../targets/bundle.ts'
import { dieWithParent } from './local-node.ts'
import type { NetLab } from './netlab.ts'
import { watchNode, type NodeProcess } from './node-process.ts'

export interface PublicDht {
  // host:port of the bootstrap node, as configs and --bootstrap take it.
  bootstrap: string[]
  process: NodeProcess
  stop (): Promise<void>
}

const MAIN = path.join(REPO_ROOT, 'tools', 'harness', 'public-dht-main.ts')

// `tmpDir`: its TMPDIR (tsx keeps its cache there), for a caller that removes it after.
export async function startPublicDht (lab: NetLab, opts: { timeoutMs?: number, tmpDir?: string } = {}): Promise<PublicDht> {
  const inside = lab.inNamespace(lab.publicNs, process.execPath, ['--import', 'tsx', MAIN, ...lab.dhtAddresses])
  const { command, args } = dieWithParent(inside.command, inside.args)
  const env = { ...process.env, ...(opts.tmpDir ? { TMPDIR: opts.tmpDir } : {}) }
  const proc = watchNode(spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }))
  const stop = async (): Promise<void> => { await proc.stop(2000) }
  try {
    const ready = await proc.waitFor('public-dht-ready', opts.timeoutMs ?? 30_000)
    return { bootstrap: [String(ready.bootstrap)], process: proc, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
