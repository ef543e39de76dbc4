// The same node for a Node.js runtime: `node` export conditions, Node's own builtins
// and the host's .node addons. Proves the arm64 artifact under qemu (no arm64 Bare
// binary on this registry) and serves hosts that already have Node.js.
import { buildArtifact, type ArtifactOptions, type ArtifactResult } from '../artifact.ts'

export function buildNodeArtifact (opts: Omit<ArtifactOptions, 'runtime'>): Promise<ArtifactResult> {
  return buildArtifact({ ...opts, runtime: 'node' })
}
