// Poly1305 (RFC 8439 section 2.5) in ten 13-bit limbs, as tweetnacl-js does, so the same
// source computes exactly under Node.js (doubles, exact below 2^53, and `>>>` that reads
// only 32 bits) and under Lua 5.3 (64-bit integers).
//
// Why 13 bits and not poly1305-donna-32's 26: with 26-bit limbs a product of a limb of h
// (up to 2^27 after a block is added) and 5*r (up to 2^28.4) is 2^55, and a sum of five
// is 2^58: exact in Lua's integers, not in a double. With 13-bit limbs h < 2^14.1 and
// 5*r < 2^15.4, so a product is < 2^29.5 and five of them plus the carry < 2^32: the sum
// is split (`>>> 13`, `& 0x1fff`) after every five products, which keeps every value that
// meets `>>>` below 2^32 and every value at all far below 2^53.
import { type Bytes } from './bytes.ts'

const LIMB = 0x1fff

// Little-endian bytes to ten 13-bit limbs; a 17th byte carries bit 128.
function toLimbs (src: Bytes): number[] {
  const out: number[] = []
  let acc = 0
  let bits = 0
  for (let i = 0; i < src.length; i++) {
    acc = acc | (src[i] << bits)
    bits += 8
    while (bits >= 13 && out.length < 10) {
      out.push(acc & LIMB)
      acc = acc >>> 13
      bits -= 13
    }
  }
  return out
}

// h * r mod 2^130-5, partly reduced: a limb may come out slightly above 13 bits.
function multiply (h: number[], r: number[], r5: number[]): number[] {
  const d: number[] = []
  let carry = 0
  for (let i = 0; i < 10; i++) {
    let sum = carry
    for (let j = 0; j < 10; j++) {
      // 2^130 = 5 mod p, so a product that lands past limb 9 wraps round times 5.
      sum += h[j] * (j <= i ? r[i - j] : r5[i + 10 - j])
      if (j === 4) {
        carry = sum >>> 13
        sum = sum & LIMB
      }
    }
    carry += sum >>> 13
    d.push(sum & LIMB)
  }
  carry = carry * 5 + d[0]
  d[0] = carry & LIMB
  d[1] += carry >>> 13
  return d
}

// Fully reduces h mod 2^130-5 in constant time, then adds s mod 2^128 and serialises.
function finish (h: number[], key: Bytes): Bytes {
  let carry = 0
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < 10; i++) {
      h[i] += carry
      carry = h[i] >>> 13
      h[i] = h[i] & LIMB
    }
    carry *= 5
  }
  h[0] += carry
  // g = h + 5 - 2^130: h >= p exactly when adding 5 carries out of bit 130.
  const g: number[] = []
  carry = 5
  for (let i = 0; i < 10; i++) {
    const v = h[i] + carry
    carry = v >>> 13
    g.push(v & LIMB)
  }
  const useG = -carry
  const out: Bytes = []
  let acc = 0
  let bits = 0
  let sum = 0
  for (let i = 0; i < 10; i++) {
    acc = acc | (((g[i] & useG) | (h[i] & ~useG)) << bits)
    bits += 13
    while (bits >= 8 && out.length < 16) {
      sum = (acc & 0xff) + key[16 + out.length] + (sum >>> 8)
      out.push(sum & 0xff)
      acc = acc >>> 8
      bits -= 8
    }
  }
  return out
}

export function poly1305 (key: Bytes, message: Bytes): Bytes {
  // r with the bits RFC 8439 clamps cleared, then a zero 17th byte.
  const rBytes: Bytes = []
  for (let i = 0; i < 16; i++) {
    const clampTop = i === 3 || i === 7 || i === 11 || i === 15
    const clampBottom = i === 4 || i === 8 || i === 12
    rBytes.push(key[i] & (clampTop ? 0x0f : clampBottom ? 0xfc : 0xff))
  }
  rBytes.push(0)
  const r = toLimbs(rBytes)
  const r5: number[] = []
  for (let i = 0; i < 10; i++) r5.push(r[i] * 5)

  let h: number[] = []
  for (let i = 0; i < 10; i++) h.push(0)
  for (let at = 0; at < message.length; at += 16) {
    // A block is its bytes then a 1 byte: at bit 128 for a full block, right after the
    // message for the short last one.
    const block: Bytes = []
    for (let k = at; k < at + 16; k++) block.push(k < message.length ? message[k] : k === message.length ? 1 : 0)
    block.push(at + 16 <= message.length ? 1 : 0)
    const m = toLimbs(block)
    for (let i = 0; i < 10; i++) h[i] += m[i]
    h = multiply(h, r, r5)
  }
  return finish(h, key)
}
