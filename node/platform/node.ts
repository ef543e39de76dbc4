import fs from 'node:fs'
import os from 'node:os'
import type { Platform } from './types.ts'

export const platform: Platform = {
  runtime: 'node',
  argv: process.argv.slice(2),
  hostName: () => `${os.platform()}-${os.arch()}`,
  nowMs: () => Number(process.hrtime.bigint()) / 1e6,
  writeStdout: (text) => { writeAll(Buffer.from(text)) },
  exit: (code) => process.exit(code),
  onSignal: (signal, handler) => { process.on(signal, handler) },
  onFatal: (handler) => {
    process.on('uncaughtException', handler)
    process.on('unhandledRejection', handler)
  }
}

// stdout may be a non-blocking pipe: retry until every byte is out.
function writeAll (data: Uint8Array): void {
  let offset = 0
  while (offset < data.byteLength) {
    try {
      offset += fs.writeSync(1, data, offset)
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN') throw err
    }
  }
}
