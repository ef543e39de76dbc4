// How `roost backup` lays a folder out in one hypercore, and how `roost restore` reads
// it back. Block 0 starts with a magic and the header's length; the header (JSON:
// each file's path, size and mode) fills the first blocks; file contents follow in
// order, in blocks of at most BLOCK_SIZE. The core is block-encrypted, so the node
// that keeps it sees none of this.
import fs from 'node:fs'
import path from 'node:path'
import b4a from 'b4a'
import { ClientError } from './errors.ts'
import type { ClientCore } from './store.ts'

export const BLOCK_SIZE = 64 * 1024
const MAGIC = b4a.from('RBK1')

export interface ArchiveFile { path: string, size: number, mode: number }
interface Header { files: ArchiveFile[] }

export function listFolder (dir: string): ArchiveFile[] {
  const files: ArchiveFile[] = []
  const walk = (rel: string): void => {
    const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) walk(r)
      else if (e.isFile()) {
        const st = fs.statSync(path.join(dir, r))
        files.push({ path: r, size: st.size, mode: st.mode & 0o777 })
      }
    }
  }
  walk('')
  return files
}

function chunk (data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < data.length; i += BLOCK_SIZE) out.push(data.subarray(i, i + BLOCK_SIZE))
  return out
}

export async function writeArchive (core: ClientCore, dir: string, onBytes: (n: number) => void): Promise<{ files: number, bytes: number }> {
  const files = listFolder(dir)
  const header = b4a.from(JSON.stringify({ files } satisfies Header))
  const prefix = b4a.alloc(8)
  prefix.set(MAGIC, 0)
  new DataView(prefix.buffer, prefix.byteOffset).setUint32(4, header.length)
  await core.append(chunk(b4a.concat([prefix, header])))
  let bytes = 0
  for (const f of files) {
    const fd = fs.openSync(path.join(dir, f.path), 'r')
    try {
      let left = f.size
      while (left > 0) {
        const buf = b4a.alloc(Math.min(BLOCK_SIZE, left))
        const n = fs.readSync(fd, buf, 0, buf.length, null)
        if (n === 0) break
        await core.append(buf.subarray(0, n))
        left -= n
        bytes += n
        onBytes(bytes)
      }
    } finally {
      fs.closeSync(fd)
    }
  }
  return { files: files.length, bytes }
}

function safeRelative (p: string): boolean {
  return p !== '' && !p.startsWith('/') && !p.split('/').some((s) => s === '..' || s === '.' || s === '')
}

export async function readArchive (core: ClientCore, outDir: string, onBlocks: (done: number, total: number) => void): Promise<{ files: number, bytes: number }> {
  const first = await core.get(0)
  if (!first || first.length < 8 || !b4a.equals(first.subarray(0, 4), MAGIC)) {
    throw ClientError.NOT_A_BACKUP()
  }
  const headerLength = new DataView(first.buffer, first.byteOffset).getUint32(4)
  const headerBlocks = Math.ceil((8 + headerLength) / BLOCK_SIZE)
  const parts = [first]
  for (let i = 1; i < headerBlocks; i++) parts.push((await core.get(i))!)
  const header = JSON.parse(b4a.toString(b4a.concat(parts).subarray(8, 8 + headerLength))) as Header
  for (const f of header.files) {
    if (!safeRelative(f.path)) throw ClientError.BAD_BACKUP(f.path)
  }
  let index = headerBlocks
  let bytes = 0
  for (const f of header.files) {
    const target = path.join(outDir, ...f.path.split('/'))
    fs.mkdirSync(path.dirname(target), { recursive: true })
    const fd = fs.openSync(target, 'w', f.mode)
    try {
      let left = f.size
      while (left > 0) {
        const block = await core.get(index++)
        if (!block) throw ClientError.BACKUP_INCOMPLETE(index - 1)
        fs.writeSync(fd, block)
        left -= block.length
        bytes += block.length
        onBlocks(index, core.length)
      }
    } finally {
      fs.closeSync(fd)
    }
  }
  return { files: header.files.length, bytes }
}
