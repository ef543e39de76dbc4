// Secret files (identity, feed key): created once with mode 0600 and never replaced,
// refused when group or others can read them. Messages name the file, never its contents.
import fs from '#fs'
import b4a from 'b4a'
import { NodeError } from '../errors.ts'

export function secretFileExists (file: string): boolean {
  try {
    fs.statSync(file)
    return true
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return false
    throw err
  }
}

export function readSecretJson (file: string): Record<string, unknown> {
  const mode = fs.statSync(file).mode
  if ((mode & 0o077) !== 0) throw NodeError.IDENTITY_PERMISSIONS(file, mode)
  let parsed: unknown
  try {
    parsed = JSON.parse(b4a.toString(fs.readFileSync(file)))
  } catch {
    throw NodeError.IDENTITY_CORRUPT(file, 'not readable JSON (truncated or overwritten?)')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw NodeError.IDENTITY_CORRUPT(file, 'expected an object')
  return parsed as Record<string, unknown>
}

export function createSecretJson (file: string, body: Record<string, unknown>): void {
  // 'wx' fails if the file appeared meanwhile: never overwrite a secret.
  const fd = fs.openSync(file, 'wx', 0o600)
  try {
    fs.writeSync(fd, b4a.from(JSON.stringify(body) + '\n'))
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}
