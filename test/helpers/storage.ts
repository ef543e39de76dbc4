import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import test, { type ExecutionContext } from 'ava'
import type { NodeConfigFile } from '../../node/config/types.ts'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { folderContains } from '../../tools/harness/folder-contains.ts'
import { buildLocal } from '../../tools/harness/local-node.ts'
import type { NodeProcess } from '../../tools/harness/node-process.ts'
import { launchNode } from './nodes.ts'

export const board = loadBoard('x86-64-mini-pc')

// One Bare artifact per test file, built once and removed after the file's tests.
export function storageArtifact (): Promise<{ outDir: string }> {
  const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-storage-build-'))
  test.after.always(() => fs.rmSync(buildDir, { recursive: true, force: true }))
  return buildLocal(board, 'bare', path.join(buildDir, 'artifact'))
}

export async function storageNode (t: ExecutionContext, artifact: Promise<{ outDir: string }>, work: string, name: string, config: Partial<NodeConfigFile>, cgroupProcs?: string): Promise<{ node: NodeProcess, key: string, dataDir: string }> {
  const { outDir } = await artifact
  const node = launchNode(t, { artifactDir: outDir, runtime: 'bare', board, work, name, config: { roles: ['storage'], ...config }, cgroupProcs })
  const ready = await node.waitFor('ready', 30_000)
  return { node, key: String(ready.publicKey), dataDir: path.join(work, name) }
}

// The key of the CLI's client identity when it runs with ROOST_HOME=home.
export function cliKey (home: string): string {
  return encodeKey(loadOrCreateIdentity(path.join(home, 'client')).keyPair.publicKey)
}

// True when any file under dir contains the marker.
export const scanFor = folderContains
