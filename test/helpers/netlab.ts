// A simulated internet for one test (tools/harness/netlab.ts): home networks behind NAT
// routers and a public segment with its DHT, in network namespaces that are removed when
// the test ends, passed or failed (and by the harness at exit or on SIGINT/SIGTERM).
// Bare nodes and the roost CLI run inside it. Without root the test is skipped with the
// reason, except on CI, where a skipped test would hide that NAT traversal went unchecked.
import test, { type ExecutionContext } from 'ava'
import type { NodeConfigFile } from '../../node/config/types.ts'
import { launchNode as launch } from '../../tools/harness/local-node.ts'
import { createLab, labNamespaces, LAB_PREFIX, whyNoNetLab, type HomeSpec, type NetLab } from '../../tools/harness/netlab.ts'
import type { NodeProcess } from '../../tools/harness/node-process.ts'
import { startPublicDht } from '../../tools/harness/public-dht.ts'
import { runRoost, type CliResult } from '../../tools/harness/roost-cli.ts'
import { board, storageArtifact } from './storage.ts'
import { tmpDir } from './tmp.ts'

export type { CliResult }

export interface LabRun {
  lab: NetLab
  bootstrap: string[]
  // A Bare node from the artifact, in a home ('public': on the public segment, bound to
  // one of its server addresses), stopped when the test ends.
  node (name: string, where: string, config: Partial<NodeConfigFile>): Promise<{ node: NodeProcess, key: string }>
  // The roost CLI in a home, its client identity in `home`, on the lab's DHT.
  roost (where: string, args: string[], opts: { home: string, timeoutMs?: number }): Promise<CliResult>
}

export async function startLab (t: ExecutionContext, homes: HomeSpec[], opts: { artifactDir: string, work: string }): Promise<LabRun | null> {
  const why = whyNoNetLab()
  if (why !== null) {
    if (process.env.CI === 'true') throw new Error(`this test builds network namespaces and ${why}; CI must run the tests as root`)
    t.log(`skipped: ${why} (run the tests as root to check this)`)
    return null
  }
  const lab = createLab(homes)
  // Teardowns run last-registered first: the namespaces go after what runs in them.
  t.teardown(() => lab.destroy())
  const dht = await startPublicDht(lab)
  t.teardown(() => dht.stop())
  let servers = 0
  return {
    lab,
    bootstrap: dht.bootstrap,
    async node (name, where, config) {
      const host = where === 'public' ? { host: lab.serverAddresses[servers++] } : {}
      const node = launch({ artifactDir: opts.artifactDir, runtime: 'bare', board, work: opts.work, name, inNamespace: lab.placeIn(where), config: { bootstrap: dht.bootstrap, ...host, ...config } })
      t.teardown(async () => { await node.stop(1000) })
      const ready = await node.waitFor('ready', 30_000)
      return { node, key: String(ready.publicKey) }
    },
    roost (where, args, { home, timeoutMs }) {
      return runRoost([...args, '--bootstrap', dht.bootstrap[0]], { home, timeoutMs, inNamespace: lab.placeIn(where) })
    }
  }
}

// For a test file whose tests each build a lab with Bare nodes: the artifact they run
// (built once for the file), a lab per call in a fresh work folder (null without root,
// as startLab), and a check once the file's tests have ended that none of its
// namespaces is left. Call it at the top of the file: it registers hooks.
export function labsForFile (): (t: ExecutionContext, homes: HomeSpec[]) => Promise<{ run: LabRun, work: string } | null> {
  const artifact = storageArtifact()
  test.after.always('no namespace of this run is left', (t) => {
    t.deepEqual(labNamespaces(`${LAB_PREFIX}${process.pid}-`), [])
  })
  return async (t, homes) => {
    const work = tmpDir(t)
    const { outDir } = await artifact
    const run = await startLab(t, homes, { artifactDir: outDir, work })
    return run === null ? null : { run, work }
  }
}
