import fs from 'node:fs'
import os from 'node:os'
import type { Platform } from './types.ts'
import { writeAll } from './write-all.ts'

export const platform: Platform = {
  runtime: 'node',
  argv: process.argv.slice(2),
  hostName: () => `${os.platform()}-${os.arch()}`,
  networkInterfaces: () => {
    const found: Record<string, Array<{ address: string, family: string, internal: boolean }>> = {}
    for (const [name, addresses] of Object.entries(os.networkInterfaces())) found[name] = addresses ?? []
    return found
  },
  nowMs: () => Number(process.hrtime.bigint()) / 1e6,
  memory: () => {
    const usage = process.memoryUsage()
    return {
      rssBytes: usage.rss,
      // KiB, as getrusage(2) reports it on Linux.
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      heapUsedBytes: usage.heapUsed,
      heapTotalBytes: usage.heapTotal
    }
  },
  writeStdout: (text) => { writeAll((data, offset) => fs.writeSync(1, data, offset), Buffer.from(text)) },
  exit: (code) => process.exit(code),
  onSignal: (signal, handler) => { process.on(signal, handler) },
  onFatal: (handler) => {
    process.on('uncaughtException', handler)
    process.on('unhandledRejection', handler)
  }
}
