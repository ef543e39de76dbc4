// Strips the artifact's native code of what the dynamic loader never maps: debug
// information, the full symbol table, compiler notes. npm prebuilds and the Bare binary
// ship with all of it (bare-tls for arm64 is 12 MB of which 2.3 MB load), and a build
// machine with only Node.js and npm has no strip, so roost does it here.
//
// What is kept follows the System V gABI (ch. 4, "Object Files"):
// - Loading reads only the program header table (gABI "Program Loading"): every byte
//   from the start of the file to the end of its last segment is copied unchanged, so
//   each segment, and each section inside one, stays byte for byte.
// - A section with SHF_ALLOC "occupies memory during process execution" (gABI
//   "Sections", sh_flags); one without it (.debug_*, .symtab, .strtab, .comment,
//   .gnu_debuglink) is never mapped, and is dropped with its bytes when it lies past the
//   last segment, as the linker puts it.
// - The dynamic symbols the loader and dlsym use (.dynsym, .dynstr, .gnu.hash) are
//   SHF_ALLOC and inside a segment: Bare finds an addon by dlopen and dlsym of
//   bare_register_module_v0 (bare src/addon.c), which stays exported.
// - The section header table is optional in files that are executed (gABI "Files used
//   to build a process image ... a section header table is optional"): it is written
//   anew after the kept bytes with the SHF_ALLOC sections, their sh_link and sh_info
//   renumbered, and a new .shstrtab naming only them.
// The output is a function of the input alone, so rebuilds stay byte-identical, and
// stripping a stripped file gives the same bytes again.
import fs from 'node:fs'
import { BuildError } from './errors.ts'

const MACHINES: Record<number, string> = { 62: 'x86-64', 183: 'aarch64' }
const ET_EXEC = 2
const ET_DYN = 3
const SHT_RELA = 4
const SHT_NOBITS = 8
const SHT_REL = 9
const SHT_STRTAB = 3
const SHF_ALLOC = 0x2n
// gABI: "The sh_info field of this section header holds a section header table index."
const SHF_INFO_LINK = 0x40n
// gABI "Extended section numbering": 0xff00 and above are reserved indexes, and a file
// with that many sections keeps its counts in section 0 instead of the ELF header.
const SHN_LORESERVE = 0xff00
const PN_XNUM = 0xffff
// ELF64 sizes of the ELF header, a program header and a section header.
const EHDR_SIZE = 64
const PHDR_SIZE = 56
const SHDR_SIZE = 64

interface Section {
  name: string
  type: number
  flags: bigint
  offset: number
  size: number
  link: number
  info: number
  header: Buffer
}

export interface StripResult {
  bytes: Buffer
  // Names of the sections dropped, in file order (the old .shstrtab among them).
  removed: string[]
}

export function stripElf (input: Buffer, file: string): StripResult {
  const elf = readElf(input, file)
  if (elf.sections.length === 0) return { bytes: Buffer.from(input), removed: [] }

  const kept: number[] = [0]
  const removed: string[] = []
  elf.sections.forEach((section, index) => {
    if (index === 0) return
    if ((section.flags & SHF_ALLOC) !== 0n) kept.push(index)
    else removed.push(section.name)
  })
  const newIndex = new Map(kept.map((old, i) => [old, i]))
  // A link to a dropped section becomes SHN_UNDEF (0), gABI's "no link".
  const renumber = (old: number): number => newIndex.get(old) ?? 0

  let end = Math.max(EHDR_SIZE, elf.phoff + elf.phnum * PHDR_SIZE, ...elf.segmentEnds)
  for (const index of kept) {
    const section = elf.sections[index]
    if (section.type !== SHT_NOBITS) end = Math.max(end, section.offset + section.size)
  }

  // The new .shstrtab: "\0", each kept name once, then its own name.
  const nameOffsets = new Map<string, number>()
  const names: string[] = ['']
  let namesLength = 1
  const nameOffset = (name: string): number => {
    if (name === '') return 0
    let at = nameOffsets.get(name)
    if (at === undefined) {
      at = namesLength
      nameOffsets.set(name, at)
      names.push(name)
      namesLength += Buffer.byteLength(name, 'latin1') + 1
    }
    return at
  }
  const headers = kept.map((index) => {
    const section = elf.sections[index]
    const header = Buffer.from(section.header)
    if (index === 0) return header
    header.writeUInt32LE(nameOffset(section.name), 0)
    header.writeUInt32LE(renumber(section.link), 40)
    // sh_info is a section index only for relocations and SHF_INFO_LINK (gABI figure
    // "sh_link and sh_info Interpretation"); for .dynsym it counts local symbols.
    if (section.type === SHT_REL || section.type === SHT_RELA || (section.flags & SHF_INFO_LINK) !== 0n) {
      header.writeUInt32LE(renumber(section.info), 44)
    }
    return header
  })
  const shstrtabName = nameOffset('.shstrtab')
  const shstrtab = Buffer.from(names.map((name) => name + '\0').join(''), 'latin1')

  // The header table is 8-byte aligned, as its 64-bit fields are.
  const shoff = align(end + shstrtab.length, 8)
  const shstrtabHeader = Buffer.alloc(SHDR_SIZE)
  shstrtabHeader.writeUInt32LE(shstrtabName, 0)
  shstrtabHeader.writeUInt32LE(SHT_STRTAB, 4)
  shstrtabHeader.writeBigUInt64LE(BigInt(end), 24)
  shstrtabHeader.writeBigUInt64LE(BigInt(shstrtab.length), 32)
  shstrtabHeader.writeBigUInt64LE(1n, 48)
  headers.push(shstrtabHeader)

  const bytes = Buffer.concat([input.subarray(0, end), shstrtab, Buffer.alloc(shoff - end - shstrtab.length), ...headers])
  // e_shoff, e_shnum and e_shstrndx: the only bytes inside the first segment that change,
  // and the loader does not read them.
  bytes.writeBigUInt64LE(BigInt(shoff), 0x28)
  bytes.writeUInt16LE(headers.length, 0x3c)
  bytes.writeUInt16LE(headers.length - 1, 0x3e)
  return { bytes, removed }
}

// Strips a file in place; returns its size before and after.
export function stripElfFile (file: string, name: string = file): { before: number, after: number } {
  const input = fs.readFileSync(file)
  const { bytes } = stripElf(input, name)
  fs.writeFileSync(file, bytes)
  return { before: input.length, after: bytes.length }
}

interface Elf { phoff: number, phnum: number, segmentEnds: number[], sections: Section[] }

function readElf (input: Buffer, file: string): Elf {
  if (input.length < EHDR_SIZE || input.readUInt32BE(0) !== 0x7f454c46) throw BuildError.ELF_NOT_STRIPPABLE(file, 'not an ELF file')
  if (input[4] !== 2) throw BuildError.ELF_NOT_STRIPPABLE(file, `ELF class ${input[4]} (only 2, 64-bit)`)
  if (input[5] !== 1) throw BuildError.ELF_NOT_STRIPPABLE(file, `byte order ${input[5]} (only 1, little-endian)`)
  const type = input.readUInt16LE(0x10)
  if (type !== ET_EXEC && type !== ET_DYN) throw BuildError.ELF_NOT_STRIPPABLE(file, `ELF type ${type} (only executables and shared objects)`)
  const machine = input.readUInt16LE(0x12)
  if (!(machine in MACHINES)) throw BuildError.ELF_NOT_STRIPPABLE(file, `machine ${machine} (only x86-64 and aarch64)`)

  const phoff = u64(input, 0x20, file)
  const shoff = u64(input, 0x28, file)
  const phentsize = input.readUInt16LE(0x36)
  const phnum = input.readUInt16LE(0x38)
  const shentsize = input.readUInt16LE(0x3a)
  const shnum = input.readUInt16LE(0x3c)
  const shstrndx = input.readUInt16LE(0x3e)
  if (phnum === PN_XNUM || (shoff !== 0 && shnum === 0) || shstrndx >= SHN_LORESERVE) {
    throw BuildError.ELF_NOT_STRIPPABLE(file, 'extended section or segment numbering (65,280 or more)')
  }
  if (phnum > 0 && phentsize !== PHDR_SIZE) throw BuildError.ELF_DAMAGED(file, `program header size ${phentsize}, not ${PHDR_SIZE}`)
  if (shnum > 0 && shentsize !== SHDR_SIZE) throw BuildError.ELF_DAMAGED(file, `section header size ${shentsize}, not ${SHDR_SIZE}`)
  within(input, phoff, phnum * PHDR_SIZE, file, 'the program header table')
  within(input, shoff, shnum * SHDR_SIZE, file, 'the section header table')

  const segmentEnds: number[] = []
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * PHDR_SIZE
    const offset = u64(input, at + 8, file)
    const filesz = u64(input, at + 32, file)
    within(input, offset, filesz, file, `segment ${i}`)
    segmentEnds.push(offset + filesz)
  }

  const raw = Array.from({ length: shnum }, (_, i) => {
    const header = input.subarray(shoff + i * SHDR_SIZE, shoff + (i + 1) * SHDR_SIZE)
    return {
      nameAt: header.readUInt32LE(0),
      type: header.readUInt32LE(4),
      flags: header.readBigUInt64LE(8),
      offset: u64(header, 24, file),
      size: u64(header, 32, file),
      link: header.readUInt32LE(40),
      info: header.readUInt32LE(44),
      header
    }
  })
  if (shnum > 0 && shstrndx >= shnum) throw BuildError.ELF_DAMAGED(file, `section name table index ${shstrndx} of ${shnum} sections`)
  const strings = shnum > 0 ? raw[shstrndx] : null
  if (strings) within(input, strings.offset, strings.size, file, 'the section name table')
  const sections = raw.map((section, i) => {
    if (section.type !== SHT_NOBITS) within(input, section.offset, section.size, file, `section ${i}`)
    let name = ''
    if (strings && section.nameAt < strings.size) {
      const start = strings.offset + section.nameAt
      const stop = input.indexOf(0, start)
      name = input.toString('latin1', start, stop < 0 ? strings.offset + strings.size : Math.min(stop, strings.offset + strings.size))
    }
    return { name, type: section.type, flags: section.flags, offset: section.offset, size: section.size, link: section.link, info: section.info, header: section.header }
  })
  return { phoff, phnum, segmentEnds, sections }
}

function u64 (bytes: Buffer, at: number, file: string): number {
  const value = bytes.readBigUInt64LE(at)
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw BuildError.ELF_DAMAGED(file, `offset or size ${value} at byte ${at}`)
  return Number(value)
}

function within (input: Buffer, offset: number, length: number, file: string, what: string): void {
  if (offset + length > input.length) throw BuildError.ELF_DAMAGED(file, `${what} ends at byte ${offset + length}, past the end of the file (${input.length} bytes)`)
}

function align (value: number, to: number): number {
  return Math.ceil(value / to) * to
}
