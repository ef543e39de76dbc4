// Facts about the runtime the node is in, the same on Bare and on Node.js.
import { platform } from '#platform'
import type { ProcessMemory } from './types.ts'

// Set by the build (esbuild `define`); a node run from source reports a dev version.
declare const ROOST_VERSION: string | undefined

export const runtimeName: 'bare' | 'node' = platform.runtime

export const roostVersion: string = typeof ROOST_VERSION === 'string' ? ROOST_VERSION : '0.0.0-dev'

export function hostName (): string {
  return platform.hostName()
}

export function processMemory (): ProcessMemory {
  return platform.memory()
}
