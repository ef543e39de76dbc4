// A fleet file and a provisioning folder for one test, with `roost provision` run through
// the real CLI, and what the provisioning tests compare: the inventory, and every file's
// bytes and modification time (a run that changes nothing leaves them equal).
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { ExecutionContext } from 'ava'
import type { Inventory } from '../../tools/provision/layout.ts'
import { roost } from './cli.ts'
import { tmpDir } from './tmp.ts'

export interface ProvisionSetup { work: string, home: string, out: string, fleetFile: string, run (...args: string[]): ReturnType<typeof roost> }

export function provisionSetup (t: ExecutionContext, yaml: string): ProvisionSetup {
  const work = tmpDir(t)
  const fleetFile = path.join(work, 'fleet.yaml')
  fs.writeFileSync(fleetFile, yaml)
  const home = path.join(work, 'home')
  const out = path.join(work, 'out')
  return { work, home, out, fleetFile, run: (...args) => roost(['provision', '--fleet', fleetFile, '--out', out, ...args], { home, timeoutMs: 180_000 }) }
}

export function readInventoryJson (out: string): Inventory {
  return JSON.parse(fs.readFileSync(path.join(out, 'inventory.json'), 'utf8')) as Inventory
}

// Every file under the folder with its bytes' hash and modification time.
export function folderSnapshot (dir: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue
    const file = path.join(e.parentPath, e.name)
    files[path.relative(dir, file)] = `${crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')} ${fs.statSync(file).mtimeMs}`
  }
  return files
}

// The files whose bytes or times differ between two snapshots, or that only one has.
export function changedFiles (before: Record<string, string>, after: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => before[f] !== after[f]).sort()
}
