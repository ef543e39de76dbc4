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

export interface ElfDynamic {
  // DT_NEEDED, in the order the file names them.
  needed: string[]
  // The newest GLIBC_x.y symbol version it references (its dynamic strings hold the
  // name of every version it needs), or null.
  glibc: string | null
}

// What an ELF file needs from the device before it can load: shared libraries, and a
// C library at least this new.
export function elfDynamic (file: string): ElfDynamic {
  const fd = fs.openSync(file, 'r')
  try {
    const read = (offset: number, length: number): Buffer => {
      const bytes = Buffer.alloc(length)
      fs.readSync(fd, bytes, 0, length, offset)
      return bytes
    }
    const ident = read(0, 64)
    if (ident.readUInt32BE(0) !== 0x7f454c46) return { needed: [], glibc: null }
    const wide = ident[4] === 2
    const le = ident[5] === 1
    const u16 = (b: Buffer, at: number): number => le ? b.readUInt16LE(at) : b.readUInt16BE(at)
    const u32 = (b: Buffer, at: number): number => le ? b.readUInt32LE(at) : b.readUInt32BE(at)
    const word = (b: Buffer, at: number): number => wide ? Number(le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at)) : u32(b, at)
    const shoff = word(ident, wide ? 0x28 : 0x20)
    const shentsize = u16(ident, wide ? 0x3a : 0x2e)
    const shnum = u16(ident, wide ? 0x3c : 0x30)
    const section = (index: number): { type: number, offset: number, size: number, link: number } => {
      const header = read(shoff + index * shentsize, shentsize)
      return wide
        ? { type: u32(header, 4), offset: word(header, 24), size: word(header, 32), link: u32(header, 40) }
        : { type: u32(header, 4), offset: u32(header, 16), size: u32(header, 20), link: u32(header, 24) }
    }
    const SHT_DYNAMIC = 6
    const DT_NEEDED = 1
    for (let i = 0; i < shnum; i++) {
      const dynamic = section(i)
      if (dynamic.type !== SHT_DYNAMIC) continue
      const strtab = section(dynamic.link)
      const strings = read(strtab.offset, strtab.size)
      const entries = read(dynamic.offset, dynamic.size)
      const entrySize = wide ? 16 : 8
      const needed: string[] = []
      for (let at = 0; at + entrySize <= entries.length; at += entrySize) {
        const tag = word(entries, at)
        if (tag === 0) break
        if (tag !== DT_NEEDED) continue
        const start = word(entries, at + entrySize / 2)
        needed.push(strings.toString('latin1', start, strings.indexOf(0, start)))
      }
      const glibc = strings.toString('latin1').split('\0').filter((name) => /^GLIBC_\d+\.\d+(\.\d+)?$/.test(name)).map((name) => name.slice(6))
      return { needed, glibc: glibc.sort(byVersion).at(-1) ?? null }
    }
    return { needed: [], glibc: null }
  } finally {
    fs.closeSync(fd)
  }
}

export function byVersion (a: string, b: string): number {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0)
  }
  return 0
}
