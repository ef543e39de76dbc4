// ELF64 little-endian headers read by hand (System V gABI ch. 4), so tests of the build's
// stripper do not only trust its own reading of the files.
export interface Segment { type: number, offset: number, filesz: number }
export interface SectionHeader { name: string, type: number, flags: bigint, link: number, info: number }

export const PT_LOAD = 1
export const SHF_ALLOC = 0x2n

// e_phoff at 0x20, e_phnum at 0x38; 56-byte entries with p_offset at 8, p_filesz at 32.
export function segments (bytes: Buffer): Segment[] {
  const phoff = Number(bytes.readBigUInt64LE(0x20))
  return Array.from({ length: bytes.readUInt16LE(0x38) }, (_, i) => {
    const at = phoff + i * 56
    return { type: bytes.readUInt32LE(at), offset: Number(bytes.readBigUInt64LE(at + 8)), filesz: Number(bytes.readBigUInt64LE(at + 32)) }
  })
}

// e_shoff at 0x28, e_shnum at 0x3c, e_shstrndx at 0x3e; 64-byte entries with sh_name 0,
// sh_type 4, sh_flags 8, sh_offset 24, sh_link 40, sh_info 44.
export function sectionHeaders (bytes: Buffer): SectionHeader[] {
  const shoff = Number(bytes.readBigUInt64LE(0x28))
  const entry = (i: number): Buffer => bytes.subarray(shoff + i * 64, shoff + (i + 1) * 64)
  const names = Number(entry(bytes.readUInt16LE(0x3e)).readBigUInt64LE(24))
  return Array.from({ length: bytes.readUInt16LE(0x3c) }, (_, i) => {
    const header = entry(i)
    const start = names + header.readUInt32LE(0)
    return { name: bytes.toString('latin1', start, bytes.indexOf(0, start)), type: header.readUInt32LE(4), flags: header.readBigUInt64LE(8), link: header.readUInt32LE(40), info: header.readUInt32LE(44) }
  })
}

// sh_info names a section for SHT_RELA (4), SHT_REL (9) and SHF_INFO_LINK (0x40).
export function infoIsSection (section: SectionHeader): boolean {
  return section.type === 4 || section.type === 9 || (section.flags & 0x40n) !== 0n
}

// e_shoff, e_shnum and e_shstrndx zeroed: the section header table's place, which
// stripping moves and the loader never reads.
export function withoutSectionTableFields (bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes)
  copy.fill(0, 0x28, 0x30)
  copy.fill(0, 0x3c, 0x40)
  return copy
}

// The segments of `stripped` that differ from those of `original` (by index), with the
// section table fields left out; empty when every loaded byte is the same.
export function changedSegments (original: Buffer, stripped: Buffer): string[] {
  const before = segments(original)
  const after = segments(stripped)
  if (JSON.stringify(before) !== JSON.stringify(after)) return ['the program headers']
  const a = withoutSectionTableFields(original)
  const b = withoutSectionTableFields(stripped)
  return before.flatMap((segment, i) => {
    const range = [segment.offset, segment.offset + segment.filesz] as const
    return a.subarray(...range).equals(b.subarray(...range)) ? [] : [`segment ${i} (type ${segment.type})`]
  })
}
