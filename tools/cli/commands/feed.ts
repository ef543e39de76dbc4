import b4a from 'b4a'
import { decodePayload } from '../../../node/bridge/decode.ts'
import type { ReadingRecord } from '../../../node/bridge/record.ts'
import { formatFeedRef, parseFeedRef } from '../../../node/feeds/ref.ts'
import { decodeKey } from '../../../node/identity/keys.ts'
import { cursorAtLast, listFeeds, openFeedReader, readingsFrom, readingsOf } from '../../client/feeds.ts'
import { defineCommand, intFlag, usageError, type Flags } from '../args.ts'
import { deviceFromFlags, NETWORK_FLAGS } from '../network-flags.ts'

const spec = {
  name: 'feed',
  summary: 'Read a node\'s sensor feeds from anywhere, peer to peer, decrypting on this side.',
  details: '  feed ls --peer NODE_KEY        each feed\'s name, length and reference (trusted clients only)\n' +
    '  feed tail REF                  print readings as they arrive (Ctrl-C stops)\n' +
    '  feed export REF --format csv   print readings and exit',
  usage: 'roost feed ls --peer NODE_KEY | roost feed tail REF | roost feed export REF [--since TIME] [--format csv|jsonl]',
  positionals: 2,
  flags: {
    peer: { type: 'string', value: 'NODE_KEY', help: 'node to list feeds of (feed ls)' },
    since: { type: 'string', value: 'TIME', help: 'only readings received at or after TIME: ISO 8601, or an age like 15m, 2h, 7d' },
    format: { type: 'string', value: 'csv|jsonl', help: 'export format (default: csv)' },
    last: { type: 'string', value: 'N', help: 'tail: start with the last N readings (default: 10)' },
    count: { type: 'string', value: 'N', help: 'tail: exit after N readings' },
    ...NETWORK_FLAGS
  }
} as const

type FeedFlags = Flags<typeof spec>

export const feed = defineCommand(spec, async (flags, [sub, arg]) => {
  if (sub === 'ls') return ls(flags)
  if (sub === 'tail' || sub === 'export') {
    if (!arg) throw usageError('feed', `${sub} needs a feed reference (from \`roost feed ls\`)`)
    return sub === 'tail' ? tail(flags, arg) : exportFeed(flags, arg)
  }
  throw usageError('feed', sub ? `unknown subcommand "${sub}" (ls, tail, export)` : 'missing subcommand (ls, tail, export)')
})

async function ls (flags: FeedFlags): Promise<number> {
  if (!flags.peer) throw usageError('feed', 'ls needs --peer NODE_KEY')
  decodeKey('node key', flags.peer)
  const feeds = await listFeeds(deviceFromFlags(flags), flags.peer)
  const rows = feeds.map((f) => [f.name, String(f.length), formatFeedRef(f.ref)])
  const width = Math.max(4, ...rows.map((r) => r[0].length)) + 2
  process.stdout.write(`${'FEED'.padEnd(width)}${'LENGTH'.padStart(8)}  REF\n`)
  for (const [name, length, ref] of rows) process.stdout.write(`${name.padEnd(width)}${length.padStart(8)}  ${ref}\n`)
  return 0
}

async function tail (flags: FeedFlags, refText: string): Promise<number> {
  const ref = parseFeedRef(refText)
  const last = intFlag('feed', 'last', flags.last, 10, 0, 1_000_000)
  const count = intFlag('feed', 'count', flags.count, 0, 0, 1_000_000_000)
  const reader = await openFeedReader(deviceFromFlags(flags), ref, { decrypt: true })
  let printed = 0
  try {
    const cursor = await cursorAtLast(reader, last)
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    })
    for (;;) {
      for await (const reading of readingsFrom(reader, cursor)) {
        process.stdout.write(formatLine(reading) + '\n')
        if (count > 0 && ++printed >= count) return 0
      }
      const appended = new Promise<void>((resolve) => reader.core.on('append', () => resolve()))
      if (await Promise.race([appended.then(() => false), stop.then(() => true)])) return 0
    }
  } finally {
    await reader.close()
  }
}

async function exportFeed (flags: FeedFlags, refText: string): Promise<number> {
  const ref = parseFeedRef(refText)
  const format = flags.format ?? 'csv'
  if (format !== 'csv' && format !== 'jsonl') throw usageError('feed', `--format must be csv or jsonl, got "${format}"`)
  const since = parseSince(flags.since)
  const reader = await openFeedReader(deviceFromFlags(flags), ref, { decrypt: true })
  try {
    if (format === 'csv') process.stdout.write('received_at,topic,qos,retain,value,decode_error\n')
    for await (const reading of readingsOf(reader, { since })) {
      const row = view(reading)
      if (format === 'jsonl') process.stdout.write(JSON.stringify(row) + '\n')
      else process.stdout.write([row.receivedAt, row.topic, row.qos, row.retain, row.value, row.decodeError ?? ''].map(csvCell).join(',') + '\n')
    }
  } finally {
    await reader.close()
  }
  return 0
}

export function parseSince (value: string | undefined, now = Date.now()): number {
  if (value === undefined) return 0
  const age = /^(\d+)(s|m|h|d)$/.exec(value)
  if (age) return now - Number(age[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[age[2] as 's' | 'm' | 'h' | 'd']
  const time = Date.parse(value)
  if (Number.isNaN(time)) throw usageError('feed', `--since must be ISO 8601 (2026-11-24T08:00Z) or an age (15m, 2h, 7d), got "${value}"`)
  return time
}

function view (r: ReadingRecord): { receivedAt: string, topic: string, qos: number, retain: boolean, value: string | number | unknown, decodeError: string | null } {
  const decoded = decodePayload(r.decoder, r.payload).value
  const value = decoded.kind === 'raw' ? b4a.toString(r.payload, 'base64') : decoded.value
  return { receivedAt: new Date(r.receivedAt).toISOString(), topic: r.topic, qos: r.qos, retain: r.retain, value, decodeError: r.decodeError }
}

function formatLine (r: ReadingRecord): string {
  const v = view(r)
  const value = typeof v.value === 'string' ? v.value : JSON.stringify(v.value)
  return `${v.receivedAt}  ${v.topic}  ${value}${v.decodeError ? `  (raw: ${v.decodeError})` : ''}`
}

function csvCell (value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}
