// What the node needs from its runtime, provided by bare.ts on Bare and node.ts on
// Node.js (chosen by the "#platform" import map). On Bare this avoids bare-process,
// whose stdio streams, TTY and POSIX modules cost memory the node does not use.
// The process's memory as the runtime reports it, in bytes. Peak RSS is the kernel's
// high-water mark (getrusage), what a board's memory limit is measured against.
export interface ProcessMemory {
  rssBytes: number
  peakRssBytes: number
  heapUsedBytes: number
  heapTotalBytes: number
}

export interface Platform {
  runtime: 'bare' | 'node'
  argv: string[]
  hostName (): string
  // IPv4 and IPv6 addresses by interface name, as os.networkInterfaces() lists them
  // (the port mapping's own address towards the home router).
  networkInterfaces (): Record<string, Array<{ address: string, family: string, internal: boolean }>>
  nowMs (): number
  memory (): ProcessMemory
  // Writes synchronously, so a log line is out before an exit that follows it.
  writeStdout (text: string): void
  exit (code: number): void
  onSignal (signal: 'SIGINT' | 'SIGTERM', handler: () => void): void
  onFatal (handler: (err: unknown) => void): void
}
