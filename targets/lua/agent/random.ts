// The agent's randomness under Lua: the kernel's /dev/urandom, read afresh for every
// nonce (24 bytes per reading). Lua-only: tests under Node pass their own RandomBytes.
import { type Bytes } from './bytes.ts'

export function urandomBytes (count: number): Bytes | undefined {
  const [file] = io.open('/dev/urandom', 'rb')
  if (file === undefined) return undefined
  const data = file.read(count)
  file.close()
  if (data === undefined || data.length !== count) return undefined
  const out: Bytes = []
  for (let i = 1; i <= count; i++) out.push(string.byte(data, i))
  return out
}
