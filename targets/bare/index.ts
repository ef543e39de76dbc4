// The Bare artifact: the node bundle with `bare` export conditions, Node builtins
// mapped to bare-* modules, the host's .bare addons and the Bare binary if the
// registry has one for the host.
import { buildArtifact, type ArtifactOptions, type ArtifactResult } from '../artifact.ts'

export function buildBareArtifact (opts: Omit<ArtifactOptions, 'runtime'>): Promise<ArtifactResult> {
  return buildArtifact({ ...opts, runtime: 'bare' })
}
