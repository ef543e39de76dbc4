// The budget section's figures, as `roost bench --json` prints them under "budget".

// Resident memory of the node in MiB: all, its own (anonymous) pages, and mapped files
// (the Bare binary, addons: pages the kernel can drop and read again).
export interface RssSplit { rssMiB: number, anonMiB: number, fileMiB: number }

export const PHASES = ['idle', 'burst qos0', 'burst qos1', 'keep cores', 'take core'] as const
export type PhaseName = typeof PHASES[number]

export interface PhaseFigures {
  phase: PhaseName
  // The memory cgroup's limit (the board's memory_budget_mb), or null: run without one.
  limitMiB: number | null
  // The most charged to the cgroup (anonymous pages and the page cache of what the node
  // wrote), and the kernel's OOM kills in it; null without a cgroup.
  maxChargedMiB: number | null
  oomKills: number | null
  // VmHWM at the end of the phase, and the RSS split at the largest sample taken every
  // SAMPLE_MS during the phase and at its end.
  maxRssMiB: number
  atPeak: RssSplit
  atEnd: RssSplit
  // Page faults that read from disk during the phase: a node whose binary's and
  // addons' pages do not fit beside its own memory reads them again and again.
  majorFaults: number
  seconds: number
  // What the phase did, e.g. "20,000 of 20,000 readings in the feed, 3,900/s".
  did: string
  // Why it failed (the node killed, a deadline), or null.
  failed: string | null
}

// One board's default roles (boards with the same budget, roles and storage settings
// run once), with one set of levers.
export interface BoardRun {
  boards: string[]
  roles: string[]
  budgetMiB: number
  memtableMiB: number
  lever: string
  phases: PhaseFigures[]
}

export interface BudgetFigures {
  command: string
  loadavg: { before: number[], after: number[], highest: number }
  sizes: { idleS: number, settleS: number, messages: number, cores: number, coreMiB: number }
  // Why no memory cgroup could be made here, or null.
  noCgroup: string | null
  runs: BoardRun[]
  // The smallest bridge board's bursts with no budget: RSS as on a board with room. Its
  // runtime sizes its heap from the memory it can have (the cgroup's limit, else the
  // machine's RAM: bursts here peaked at 88-92 MiB RSS in 96 MiB, 95-102 in 512 MiB, and
  // 121-143 both in 4,096 MiB and with no cgroup on this 24 GiB machine), so a cgroup of
  // the board's RAM stands in for the board without a budget.
  withoutBudget: BoardRun | null
  aims: typeof AIMS
}

// From the issue, printed for context and never asserted.
export const AIMS = { idleRssMiB: 48, burstRssMiB: 64 } as const
