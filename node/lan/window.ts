// Which of a device's sequence numbers are stored: the highest one, and a ring of bits
// for it and the 1,024 below it. An agent sends no reading 512 or more past its oldest
// unacknowledged one (targets/lua/agent/send-window.ts), so a retransmission always falls
// in the window; anything older, or too far ahead of the highest, is not a reading this
// node can place, and is dropped.
import b4a from 'b4a'

export const BELOW = 1024
// The highest and the BELOW before it.
const RING = BELOW + 1
// A sequence this far past the highest stored is refused: one forged or corrupted but
// authentic-looking number must not move the window so far that real retransmissions
// all fall out of it.
export const MAX_AHEAD = 2 ** 20

export type Placement = 'new' | 'stored' | 'too-old' | 'far-future'

export interface Window {
  highest (): number
  place (sequence: number): Placement
  // Called once the reading is stored; a sequence outside the window changes nothing.
  mark (sequence: number): void
  save (): SavedWindow
}

// As the node's state file keeps it (state.ts).
export interface SavedWindow { highest: number, bits: string }

export function createWindow (saved?: SavedWindow): Window {
  let highest = saved?.highest ?? 0
  // Bit s % RING says whether s is stored, for s in (highest - RING, highest].
  const bits = new Uint8Array(Math.ceil(RING / 8))
  if (saved !== undefined && saved.bits.length === bits.length * 2) bits.set(b4a.from(saved.bits, 'hex'))

  const has = (s: number): boolean => (bits[(s % RING) >> 3] & (1 << (s % RING & 7))) !== 0
  const set = (s: number, on: boolean): void => {
    const i = (s % RING) >> 3
    const bit = 1 << (s % RING & 7)
    bits[i] = on ? bits[i] | bit : bits[i] & ~bit
  }

  return {
    highest: () => highest,
    place (s) {
      if (s > highest) return s - highest > MAX_AHEAD ? 'far-future' : 'new'
      if (highest - s > BELOW) return 'too-old'
      return has(s) ? 'stored' : 'new'
    },
    mark (s) {
      if (s > highest) {
        // The slots of the numbers passed over now belong to them: none is stored yet.
        if (s - highest >= RING) bits.fill(0)
        else for (let n = highest + 1; n < s; n++) set(n, false)
        highest = s
        set(s, true)
      } else if (highest - s <= BELOW) {
        set(s, true)
      }
    },
    save: () => ({ highest, bits: b4a.toString(bits, 'hex') })
  }
}
