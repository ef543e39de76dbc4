// What every section of `roost bench` shares: options checked before anything starts,
// one progress line as each part starts (a run that hangs shows where), closers that
// stop and remove what a section or a run started, whatever happens, and the folder
// and loopback testnet a section works in.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { HarnessError } from '../harness/errors.ts'
import { startTestnet, type Testnet } from '../harness/testnet.ts'

// Told what starts next, e.g. "bridge qos1 run 2/5 (node)", and how long it may take at
// most when that is longer than the runner's default (run.ts).
export type Progress = (step: string, deadlineMs?: number) => void

// The CLI's progress: one line on stderr, so that --json output stays clean.
export const progressToStderr: Progress = (step) => { process.stderr.write(`bench: ${step}\n`) }

// Counts and sizes in a section's options are whole numbers ≥ 1.
export function checkCounts (section: string, counts: Record<string, number>): void {
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 1) throw HarnessError.BAD_OPTION(`${section}: ${name}`, `must be a whole number ≥ 1, got ${value}`)
  }
}

export interface Closers {
  add (close: () => Promise<void> | void): void
  closeAll (): Promise<void>
}

// Runs the closers of what a measurement opened, newest first, each even when an
// earlier one failed; the first failure is thrown once all have run.
export function closers (): Closers {
  const stack: Array<() => Promise<void> | void> = []
  return {
    add (close) { stack.push(close) },
    async closeAll () {
      let first: unknown = null
      for (const close of stack.splice(0).reverse()) {
        try {
          await close()
        } catch (err) {
          first ??= err
        }
      }
      if (first) throw first
    }
  }
}

// A fresh folder (roost-bench-NAME-…) and a loopback testnet, removed and destroyed by `opened`.
export async function workAndTestnet (opened: Closers, name: string): Promise<{ work: string, testnet: Testnet }> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `roost-bench-${name}-`))
  opened.add(() => fs.rmSync(work, { recursive: true, force: true }))
  const testnet = await startTestnet()
  opened.add(() => testnet.destroy())
  return { work, testnet }
}
