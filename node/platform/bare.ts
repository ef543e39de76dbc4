import b4a from 'b4a'
import fs from 'bare-fs'
import hrtime from 'bare-hrtime'
import os from 'bare-os'
import Signal from 'bare-signals'
import type { Platform } from './types.ts'
import { writeAll } from './write-all.ts'

declare const Bare: {
  argv: string[]
  exit (code: number): never
  on (event: 'uncaughtException' | 'unhandledRejection', handler: (err: unknown) => void): void
}

// getrusage(2) reports the peak RSS in KiB on Linux, the only OS roost's boards run.
const KIB = 1024

export const platform: Platform = {
  runtime: 'bare',
  argv: Bare.argv.slice(2),
  hostName: () => `${os.platform()}-${os.arch()}`,
  networkInterfaces: () => os.networkInterfaces(),
  nowMs: () => Number(hrtime.bigint()) / 1e6,
  // bare-os asks libuv for the RSS and V8 for the heap: no /proc reading, no bare-process.
  memory: () => {
    const usage = os.memoryUsage()
    return {
      rssBytes: usage.rss,
      peakRssBytes: os.resourceUsage().maxRSS * KIB,
      heapUsedBytes: usage.heapUsed,
      heapTotalBytes: usage.heapTotal
    }
  },
  writeStdout: (text) => { writeAll((data, offset) => fs.writeSync(1, data, offset), b4a.from(text)) },
  exit: (code) => Bare.exit(code),
  onSignal: (signal, handler) => {
    const watcher = new Signal(signal)
    watcher.on('signal', handler).start()
    // Signals must not keep the node alive by themselves.
    watcher.unref()
  },
  onFatal: (handler) => {
    Bare.on('uncaughtException', handler)
    Bare.on('unhandledRejection', handler)
  }
}
