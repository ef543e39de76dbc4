// A restore reference carries the backup core's key and its encryption key, plus the
// node that keeps it (a hint: restore finds holders on the DHT by the core's key).
// Whoever has it can read the backup: treat it like a password.
import { ClientError } from './errors.ts'
import { decodeKey, encodeKey } from '../../node/identity/keys.ts'

export interface BackupRef { coreKey: Uint8Array, encryptionKey: Uint8Array, nodeKey: Uint8Array }

const PREFIX = 'roost-backup:'

export function formatBackupRef (ref: BackupRef): string {
  return `${PREFIX}${encodeKey(ref.coreKey)}.${encodeKey(ref.encryptionKey)}.${encodeKey(ref.nodeKey)}`
}

export function parseBackupRef (value: string): BackupRef {
  const parts = value.startsWith(PREFIX) ? value.slice(PREFIX.length).split('.') : []
  if (parts.length !== 3) throw ClientError.BAD_BACKUP_REF()
  return {
    coreKey: decodeKey('backup core key', parts[0]),
    encryptionKey: decodeKey('backup encryption key', parts[1]),
    nodeKey: decodeKey('backup node key', parts[2])
  }
}
