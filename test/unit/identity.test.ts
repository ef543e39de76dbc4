import test from 'ava'
import type { ExecutionContext } from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import b4a from 'b4a'
import { NodeError } from '../../node/errors.ts'
import { IDENTITY_FILE, identityPath, loadIdentity, loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { tmpDir } from '../helpers/tmp.ts'

interface IdentityFile { version: number, publicKey: string, secretKey: string }

// A real identity, made the way the node makes it, in a folder of its own.
function freshIdentity (t: ExecutionContext): { storage: string, file: string, body: IdentityFile } {
  const storage = path.join(tmpDir(t), 'node')
  const { file } = loadOrCreateIdentity(storage)
  return { storage, file, body: JSON.parse(fs.readFileSync(file, 'utf8')) as IdentityFile }
}

function nodeError (t: ExecutionContext, fn: () => unknown): NodeError {
  const err = t.throws(fn, { instanceOf: NodeError })
  if (!(err instanceof NodeError)) throw new Error('expected a NodeError')
  return err
}

// Everything about an error a log or a terminal could show must be free of the secret
// key: no 16-character run of its hex may appear anywhere in it.
function assertSecretNotShown (t: ExecutionContext, err: NodeError, secretHex: string): void {
  const shown = [err.message, err.hint ?? '', err.stack ?? '', String(err), JSON.stringify(err)].join('\n').toLowerCase()
  for (let i = 0; i + 16 <= secretHex.length; i++) {
    const run = secretHex.slice(i, i + 16).toLowerCase()
    t.false(shown.includes(run), `the error shows part of the secret key (${run})`)
  }
}

function writeIdentity (file: string, body: unknown): Buffer {
  const bytes = Buffer.from(JSON.stringify(body) + '\n')
  fs.writeFileSync(file, bytes, { mode: 0o600 })
  fs.chmodSync(file, 0o600)
  return bytes
}

test('first start creates a storage folder with mode 0700 and identity.json with mode 0600', (t) => {
  const storage = path.join(tmpDir(t), 'not', 'yet', 'there')
  const { keyPair, created, file } = loadOrCreateIdentity(storage)
  t.true(created)
  t.is(file, path.join(storage, IDENTITY_FILE))
  t.is(file, identityPath(storage))
  t.is(fs.statSync(storage).mode & 0o777, 0o700)
  t.is(fs.statSync(file).mode & 0o777, 0o600)
  const body = JSON.parse(fs.readFileSync(file, 'utf8')) as IdentityFile
  t.is(body.version, 1)
  t.is(body.publicKey, encodeKey(keyPair.publicKey))
  t.is(body.secretKey, b4a.toString(keyPair.secretKey, 'hex'))
  t.is(keyPair.publicKey.length, 32)
  t.is(keyPair.secretKey.length, 64)
})

test('a second start loads the same key pair and leaves the file as it was', (t) => {
  const storage = path.join(tmpDir(t), 'node')
  const first = loadOrCreateIdentity(storage)
  const bytes = fs.readFileSync(first.file)
  const second = loadOrCreateIdentity(storage)
  t.false(second.created)
  t.true(b4a.equals(second.keyPair.publicKey, first.keyPair.publicKey))
  t.true(b4a.equals(second.keyPair.secretKey, first.keyPair.secretKey))
  const loaded = loadIdentity(first.file)
  t.true(b4a.equals(loaded.publicKey, first.keyPair.publicKey))
  t.true(b4a.equals(loaded.secretKey, first.keyPair.secretKey))
  t.deepEqual(fs.readFileSync(first.file), bytes)
})

test('two storage folders get two different identities', (t) => {
  const a = loadOrCreateIdentity(path.join(tmpDir(t), 'a'))
  const b = loadOrCreateIdentity(path.join(tmpDir(t), 'b'))
  t.false(b4a.equals(a.keyPair.publicKey, b.keyPair.publicKey))
})

test('an identity file readable by others stops the node with a chmod hint', (t) => {
  const { storage, file } = freshIdentity(t)
  fs.chmodSync(file, 0o644)
  const err = nodeError(t, () => loadOrCreateIdentity(storage))
  t.is(err.code, 'IDENTITY_PERMISSIONS')
  t.is(err.message, `identity file ${file} is readable by group or others (mode 644)`)
  t.true(err.hint?.includes(`chmod 600 ${file}`), err.hint)
  // Refusing must not "fix" anything behind the user's back.
  t.is(fs.statSync(file).mode & 0o777, 0o644)
})

test('an identity file readable by its group stops the node with a chmod hint', (t) => {
  const { file } = freshIdentity(t)
  fs.chmodSync(file, 0o640)
  const err = nodeError(t, () => loadIdentity(file))
  t.is(err.code, 'IDENTITY_PERMISSIONS')
  t.true(err.message.includes(file))
  t.true(err.message.includes('mode 640'), err.message)
  t.true(err.hint?.includes(`chmod 600 ${file}`), err.hint)
})

test('a truncated identity file stops the node as corrupt and is never replaced', (t) => {
  const { storage, file, body } = freshIdentity(t)
  const whole = fs.readFileSync(file)
  const half = whole.subarray(0, Math.floor(whole.length / 2))
  fs.writeFileSync(file, half)
  const err = nodeError(t, () => loadOrCreateIdentity(storage))
  t.is(err.code, 'IDENTITY_CORRUPT')
  t.is(err.message, `identity file ${file} is not a valid roost identity: not readable JSON (truncated or overwritten?)`)
  t.true(err.hint?.includes('restore it from a backup'), err.hint)
  t.deepEqual(fs.readFileSync(file), half)
  t.deepEqual(fs.readdirSync(storage), [IDENTITY_FILE])
  assertSecretNotShown(t, err, body.secretKey)
})

test('a secret key whose public half belongs to another key stops the node as corrupt', (t) => {
  const { storage, file, body } = freshIdentity(t)
  const other = freshIdentity(t).body
  // seed of this identity ‖ public key of the other one
  const bytes = writeIdentity(file, { ...body, secretKey: body.secretKey.slice(0, 64) + other.secretKey.slice(64) })
  const err = nodeError(t, () => loadOrCreateIdentity(storage))
  t.is(err.code, 'IDENTITY_CORRUPT')
  t.is(err.message, `identity file ${file} is not a valid roost identity: secretKey does not match its own public half`)
  t.deepEqual(fs.readFileSync(file), bytes)
  assertSecretNotShown(t, err, body.secretKey)
  assertSecretNotShown(t, err, other.secretKey)
})

test('a public key that does not match the secret key stops the node as corrupt', (t) => {
  const { storage, file, body } = freshIdentity(t)
  const other = freshIdentity(t).body
  const bytes = writeIdentity(file, { ...body, publicKey: other.publicKey })
  const err = nodeError(t, () => loadOrCreateIdentity(storage))
  t.is(err.code, 'IDENTITY_CORRUPT')
  t.is(err.message, `identity file ${file} is not a valid roost identity: publicKey does not match secretKey`)
  t.deepEqual(fs.readFileSync(file), bytes)
  assertSecretNotShown(t, err, body.secretKey)
})

test('an identity file with an unknown version stops the node as corrupt without showing the secret', (t) => {
  const { storage, file, body } = freshIdentity(t)
  const bytes = writeIdentity(file, { ...body, version: 2 })
  const err = nodeError(t, () => loadOrCreateIdentity(storage))
  t.is(err.code, 'IDENTITY_CORRUPT')
  t.is(err.message, `identity file ${file} is not a valid roost identity: unknown version`)
  t.deepEqual(fs.readFileSync(file), bytes)
  assertSecretNotShown(t, err, body.secretKey)
})

test('a secret key that is not 64 bytes of hex stops the node as corrupt without showing it', (t) => {
  const { storage, file, body } = freshIdentity(t)
  // One byte short: still a real secret key's hex, so the message must not echo it.
  const secretKey = body.secretKey.slice(0, 126)
  const bytes = writeIdentity(file, { ...body, secretKey })
  const err = nodeError(t, () => loadOrCreateIdentity(storage))
  t.is(err.code, 'IDENTITY_CORRUPT')
  t.is(err.message, `identity file ${file} is not a valid roost identity: secretKey is not 64 bytes of hex`)
  t.deepEqual(fs.readFileSync(file), bytes)
  assertSecretNotShown(t, err, body.secretKey)
})
