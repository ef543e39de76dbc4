// Reads the machine an ELF file is built for, so an artifact never ships an addon
// its board cannot load.
import fs from 'node:fs'

const MACHINES: Record<number, string> = {
  3: 'x86',
  8: 'mips',
  40: 'arm',
  62: 'x86-64',
  183: 'aarch64'
}

export const HOST_MACHINE: Record<string, string> = {
  'linux-x64': 'x86-64',
  'linux-arm64': 'aarch64',
  'linux-arm': 'arm',
  'linux-mips': 'mips',
  'linux-mipsel': 'mips'
}

export function elfMachine (file: string): string {
  const fd = fs.openSync(file, 'r')
  const header = Buffer.alloc(20)
  try {
    fs.readSync(fd, header, 0, 20, 0)
  } finally {
    fs.closeSync(fd)
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return 'not-elf'
  const littleEndian = header[5] === 1
  const machine = littleEndian ? header.readUInt16LE(18) : header.readUInt16BE(18)
  return MACHINES[machine] ?? `unknown(${machine})`
}
