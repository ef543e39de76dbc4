// Wire codecs declared once: a message is a table of its fields in wire order, and its
// size, encoding and decoding all follow from the table, as in hyperdht's
// lib/messages.js and blind-peer's generated encodings. A field missing from a table
// fails the golden tests (test/unit/protocol.test.ts), which pin every message's bytes.
import c from 'compact-encoding'
import { NodeError } from '../errors.ts'

export interface State { start: number, end: number, buffer: Uint8Array | null }

export interface Codec<T> {
  preencode (state: State, value: T): void
  encode (state: State, value: T): void
  decode (state: State): T
}

// Every entry names a field of T and carries the codec of that field's type.
export type Fields<T> = ReadonlyArray<{ [K in keyof T]-?: readonly [K, Codec<T[K]>] }[keyof T]>

// Whatever fails while decoding (a truncated buffer, a value from a newer roost) is
// MALFORMED, never compact-encoding's plain Error: the side that reads it can drop the
// message and keep serving.
export function struct<T> (what: string, fields: Fields<T>): Codec<T> {
  const table = fields as ReadonlyArray<readonly [keyof T, Codec<unknown>]>
  return {
    preencode (state, value) { for (const [name, codec] of table) codec.preencode(state, value[name]) },
    encode (state, value) { for (const [name, codec] of table) codec.encode(state, value[name]) },
    decode (state) {
      const value = {} as Record<keyof T, unknown>
      try {
        for (const [name, codec] of table) value[name] = codec.decode(state)
      } catch (err) {
        throw err instanceof NodeError && err.code === 'MALFORMED' ? err : NodeError.MALFORMED(what, err)
      }
      return value as T
    }
  }
}

// One of a fixed list of names, sent as its index in the list: new names go last.
export function oneOf<T extends string> (what: string, names: readonly T[]): Codec<T> {
  return {
    preencode (state, name) { c.uint.preencode(state, names.indexOf(name)) },
    encode (state, name) { c.uint.encode(state, names.indexOf(name)) },
    decode (state) {
      const name = names[c.uint.decode(state)]
      if (name === undefined) throw NodeError.MALFORMED(what)
      return name
    }
  }
}

// A part of a message that may be absent, with one yes-or-no field folded into its
// leading tag (0 absent, 1 no, 2 yes) and its other fields after the tag.
export function optionalWithFlag<T extends Record<F, boolean>, F extends keyof T> (
  what: string, flag: F, fields: Fields<Omit<T, F>>
): Codec<T | null> {
  const rest = struct(what, fields)
  const tagOf = (value: T | null): number => value === null ? 0 : value[flag] ? 2 : 1
  return {
    preencode (state, value) {
      c.uint.preencode(state, tagOf(value))
      if (value !== null) rest.preencode(state, value)
    },
    encode (state, value) {
      c.uint.encode(state, tagOf(value))
      if (value !== null) rest.encode(state, value)
    },
    decode (state) {
      const tag = c.uint.decode(state)
      if (tag === 0) return null
      if (tag > 2) throw NodeError.MALFORMED(what)
      return { [flag]: tag === 2, ...rest.decode(state) } as T
    }
  }
}

// A value that may be absent: a leading 0 for none, 1 then the value.
export function maybe<T> (what: string, codec: Codec<T>): Codec<T | null> {
  return {
    preencode (state, value) {
      c.uint.preencode(state, value === null ? 0 : 1)
      if (value !== null) codec.preencode(state, value)
    },
    encode (state, value) {
      c.uint.encode(state, value === null ? 0 : 1)
      if (value !== null) codec.encode(state, value)
    },
    decode (state) {
      const tag = c.uint.decode(state)
      if (tag === 0) return null
      if (tag > 1) throw NodeError.MALFORMED(what)
      return codec.decode(state)
    }
  }
}

// A message part that a later roost may extend: its format number, then its fields. A
// later roost appends new fields after these and writes a higher number; this one reads
// the fields it knows from any format and leaves the rest, which compact-encoding and
// protomux never look at. Only trailing bytes are left unread, so an extendable part
// must end its message. `added` names the fields each format after the first appended,
// with the value they take in a message of an older format (from an older node).
export const FIRST_FORMAT = 1

export interface Added<T> { format: number, absent: Partial<T> }

export function extendable<T> (what: string, fields: Fields<T>, added: ReadonlyArray<Added<T>> = []): Codec<T> {
  const body = struct(what, fields)
  const table = fields as ReadonlyArray<readonly [keyof T, Codec<unknown>]>
  const format = Math.max(FIRST_FORMAT, ...added.map((a) => a.format))
  const since = new Map<keyof T, Added<T>>()
  for (const a of added) for (const name of Object.keys(a.absent) as Array<keyof T>) since.set(name, a)
  return {
    preencode (state, value) {
      c.uint.preencode(state, format)
      body.preencode(state, value)
    },
    encode (state, value) {
      c.uint.encode(state, format)
      body.encode(state, value)
    },
    decode (state) {
      const value = {} as Record<keyof T, unknown>
      try {
        const sent = c.uint.decode(state)
        if (sent < FIRST_FORMAT) throw NodeError.MALFORMED(what)
        for (const [name, codec] of table) {
          const later = since.get(name)
          value[name] = later !== undefined && later.format > sent ? later.absent[name] : codec.decode(state)
        }
      } catch (err) {
        throw err instanceof NodeError && err.code === 'MALFORMED' ? err : NodeError.MALFORMED(what, err)
      }
      return value as T
    }
  }
}

// A message with no format number (the status reply) whose last fields were appended
// later, in turn: each is absent, so null, where the message ends before it. A reply
// from an older node still reads, and an older roost never looks at the bytes. The
// appended fields are sent up to the last one that is not null (a null before it as its
// own codec writes null), so a node with all of them null sends what older nodes sent.
// They must end their message.
export function withTrailing<T> (what: string, fields: Fields<T>, appended: Fields<T>): Codec<T> {
  const head = struct(what, fields)
  const tail = appended as ReadonlyArray<readonly [keyof T, Codec<unknown>]>
  const sent = (value: T): ReadonlyArray<readonly [keyof T, Codec<unknown>]> => {
    let count = 0
    tail.forEach(([name], i) => { if (value[name] !== null) count = i + 1 })
    return tail.slice(0, count)
  }
  return {
    preencode (state, value) {
      head.preencode(state, value)
      for (const [name, codec] of sent(value)) codec.preencode(state, value[name])
    },
    encode (state, value) {
      head.encode(state, value)
      for (const [name, codec] of sent(value)) codec.encode(state, value[name])
    },
    decode (state) {
      const value = head.decode(state) as Record<keyof T, unknown>
      try {
        for (const [name, codec] of tail) value[name] = state.start >= state.end ? null : codec.decode(state)
      } catch (err) {
        throw err instanceof NodeError && err.code === 'MALFORMED' ? err : NodeError.MALFORMED(what, err)
      }
      return value as T
    }
  }
}
