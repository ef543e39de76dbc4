// The storage section's figures, as `roost bench --json` prints them under "storage".
import type { Runtime } from '../../../targets/bundle.ts'
import type { RssPart } from '../measure.ts'

export interface TransferFigures {
  // Medians over the runs, and every run's value.
  mibPerS: number
  allMibPerS: number[]
  // CPU time of the receiving process during the transfer, in % of one core (median).
  cpuPercent: number
  // Peak RSS of the receiving process after the transfer (median).
  maxRssMiB: number
}

// The node with `board`'s settings (its memtable size), plain corestore opened with the
// same storage settings, and plain corestore with its defaults.
export interface ReplicationFigures {
  board: string
  memtableMiB: number
  node: TransferFigures
  plain: TransferFigures
  plainRoostStorage: TransferFigures
  // node / plainRoostStorage: what roost's own code costs (the aim: ≥ 0.95).
  nodeToPlainSameSettings: number
  // node / plain: with what the board's smaller memtables cost too.
  nodeToPlain: number
  aims: { nodeToPlainSameSettings: number }
}

export interface FetchFigures { ms: number, mibPerS: number, connectMs: number }

export interface FetchAfterWriterExit { mib: number, reader: Runtime, fromNode: FetchFigures, fromPlain: FetchFigures }

export interface ManyCoresFigures {
  cores: number
  keepsInFlight: number
  keptMs: number
  // Highest values in the node's status while the cores were being kept.
  peakOpenCores: number
  peakSyncing: number
  maxOpenCores: number
  // Node RSS: with the storage role and no cores yet, idle; the most seen while keeping;
  // then with the device gone and every core closed.
  empty: { maxRssMiB: number, rssMiB: number }
  keepingMaxRssMiB: number
  idle: { maxRssMiB: number, rssMiB: number, openCores: number, settleMs: number, breakdown: RssPart[] }
  // The same node restarted over the same storage, once it has announced every core
  // again, idle: what holding them costs.
  restarted: { maxRssMiB: number, rssMiB: number, announceMs: number, anonMiB: number, fileMiB: number, breakdown: RssPart[] }
}

export interface StorageFigures {
  command: string
  loadavg: { before: number[], after: number[] }
  runs: number
  coreMiB: number
  blockBytes: number
  writer: { runtime: Runtime, writeMs: number }
  replication: ReplicationFigures
  fetchAfterWriterExit: FetchAfterWriterExit
  manyCores: ManyCoresFigures
  aims: typeof AIMS
}

// From the issue, printed for context and never asserted.
export const AIMS = { idleRssMiB: 64 } as const
