// How records sit in a feed's blocks. Hypercore hashes, encrypts and stores every
// block on its own, and that cost per block was most of the bridge's time when each
// reading was one block (docs/decisions/feed-blocks-hold-batches.md): a block now holds
// the records of one batch. The first uint of every block says how it is laid out:
//   1  the block is one record (a reading record, whose own version is this 1): every
//      block written before batching, read as before;
//   2  a batch: how many records the feed holds before this block, how many are in it,
//      then each record with its length.
// The count before the block makes the feed's length in readings known from its last
// block alone, and a reading's position in the feed from its block.
import b4a from 'b4a'
import c from 'compact-encoding'
import { NodeError } from '../errors.ts'

export const BATCH_FORMAT = 2
// A batch is cut into blocks of about this size, so that a reader fetches and a peer
// stores readings in pieces of a known size; a record bigger than this is a block alone.
export const MAX_BLOCK_BYTES = 64 * 1024

export interface DecodedBlock {
  // Records in the feed before this block; null for a block of the first format, which
  // does not say (each block before it held one record).
  first: number | null
  // Views into the block, not copies.
  records: Uint8Array[]
}

interface State { start: number, end: number, buffer: Uint8Array | null }

// The blocks of one batch, `first` being the records the feed holds before it.
export function encodeBatch (first: number, records: Uint8Array[]): Uint8Array[] {
  const blocks: Uint8Array[] = []
  let from = 0
  while (from < records.length) {
    let to = from + 1
    let bytes = recordBytes(records[from])
    while (to < records.length && bytes + recordBytes(records[to]) <= MAX_BLOCK_BYTES) bytes += recordBytes(records[to++])
    blocks.push(encodeBlock(first + from, records, from, to))
    from = to
  }
  return blocks
}

function encodeBlock (first: number, records: Uint8Array[], from: number, to: number): Uint8Array {
  const state: State = { start: 0, end: 0, buffer: null }
  c.uint.preencode(state, BATCH_FORMAT)
  c.uint.preencode(state, first)
  c.uint.preencode(state, to - from)
  for (let i = from; i < to; i++) c.buffer.preencode(state, records[i])
  state.buffer = b4a.allocUnsafe(state.end)
  c.uint.encode(state, BATCH_FORMAT)
  c.uint.encode(state, first)
  c.uint.encode(state, to - from)
  for (let i = from; i < to; i++) c.buffer.encode(state, records[i])
  return state.buffer
}

// A record's bytes in a block: compact-encoding's length prefix, then the record.
function recordBytes (record: Uint8Array): number {
  const n = record.byteLength
  return (n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9) + n
}

export function decodeBlock (block: Uint8Array): DecodedBlock {
  const state: State = { start: 0, end: block.byteLength, buffer: block }
  let format: number
  try {
    format = c.uint.decode(state)
  } catch (err) {
    throw NodeError.MALFORMED('feed block (empty)', err)
  }
  if (format !== BATCH_FORMAT) return { first: null, records: [block] }
  try {
    const first = c.uint.decode(state)
    const count = c.uint.decode(state)
    // Each record takes a byte at least: a count past that is damage, not a batch.
    if (count > state.end - state.start) throw NodeError.MALFORMED(`feed block (${count} records in ${state.end - state.start} bytes)`)
    const records: Uint8Array[] = new Array(count)
    for (let i = 0; i < count; i++) records[i] = c.buffer.decode(state) ?? new Uint8Array(0)
    return { first, records }
  } catch (err) {
    if (err instanceof NodeError) throw err
    throw NodeError.MALFORMED('feed block (cut short)', err)
  }
}

export interface BlockSource {
  length: number
  get (index: number): Promise<Uint8Array | null>
}

// The records a feed holds, from its last block: the count its batch header gives, or,
// in a feed written before batching (one record a block), its length in blocks.
export async function countRecords (core: BlockSource): Promise<number> {
  if (core.length === 0) return 0
  const last = await core.get(core.length - 1)
  if (last === null) return core.length
  try {
    const { first, records } = decodeBlock(last)
    return first === null ? core.length : first + records.length
  } catch {
    // A damaged last block: count blocks, which is at most what was written.
    return core.length
  }
}

// The newest `count` records, newest first. Each block holds one record at least, so no
// more than `count` blocks are read; a block that cannot be read or decoded is skipped.
export async function * newestRecords (core: BlockSource, count: number): AsyncGenerator<Uint8Array> {
  let left = count
  for (let i = core.length - 1; i >= 0 && i >= core.length - count && left > 0; i--) {
    const block = await core.get(i)
    if (!block) continue
    let records: Uint8Array[]
    try {
      records = decodeBlock(block).records
    } catch {
      continue
    }
    for (let j = records.length - 1; j >= 0 && left > 0; j--, left--) yield records[j]
  }
}
