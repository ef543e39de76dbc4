// Secret files (identity, feed key): created once with mode 0600 and never replaced,
// refused when group or others can read them. Messages name the file, never its contents.
import fs from '#fs'
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
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

// Written whole or not at all: the secret goes to a temporary file (mode 0600, synced)
// that is then linked in under its name, so a crash or a kill midway never leaves a
// half-written secret (which the node would refuse as corrupt) under that name. Linking
// fails if the file appeared meanwhile: a secret is never overwritten.
export function createSecretJson (file: string, body: Record<string, unknown>): void {
  const tmp = writeTemporary(file, body)
  try {
    fs.linkSync(tmp, file)
  } finally {
    fs.unlinkSync(tmp)
  }
}

// For the one place a secret is replaced on purpose (`roost provision --rotate`): the
// new one takes the old one's name in one rename.
export function replaceSecretJson (file: string, body: Record<string, unknown>): void {
  fs.renameSync(writeTemporary(file, body), file)
}

function writeTemporary (file: string, body: Record<string, unknown>): string {
  const tmp = `${file}.${b4a.toString(crypto.randomBytes(6), 'hex')}.tmp`
  const fd = fs.openSync(tmp, 'wx', 0o600)
  try {
    fs.writeSync(fd, b4a.from(JSON.stringify(body) + '\n'))
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  return tmp
}

// A file only its owner may read that holds a secret someone wrote by hand (the broker's
// password, a device key): its bytes, or `fail`'s error naming the file and what is
// wrong with it, or `readable`'s when group or others may read it.
export function readPrivateFile (file: string, fail: (file: string, reason: string) => NodeError,
  readable: (file: string, mode: number) => NodeError): Uint8Array {
  let mode: number
  try {
    mode = fs.statSync(file).mode
  } catch (err) {
    throw fail(file, fileProblem(err))
  }
  if ((mode & 0o077) !== 0) throw readable(file, mode)
  try {
    return fs.readFileSync(file)
  } catch (err) {
    throw fail(file, fileProblem(err))
  }
}

export function fileProblem (err: unknown): string {
  const code = (err as { code?: unknown }).code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EACCES' || code === 'EPERM') return 'this user may not read it'
  if (code === 'EISDIR') return 'it is a folder'
  return err instanceof Error ? err.message : String(err)
}
