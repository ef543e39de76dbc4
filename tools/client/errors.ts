// Errors of the household client (tools/client): reaching a node, keeping cores on it,
// backing folders up and restoring them.
import { RoostError } from '../../node/errors.ts'

export class ClientError extends RoostError {
  constructor (code: string, message: string, hint?: string, cause?: unknown) {
    super('ClientError', code, message, hint, cause)
  }

  static UNREACHABLE (key: string, reason: string): ClientError {
    return new ClientError('UNREACHABLE', `could not reach ${key}: ${reason}`,
      'check that the node is running and that both sides use the same bootstrap')
  }

  // hyperdht gave up punching through the NATs and no relay was named.
  static HOLEPUNCH_FAILED (key: string, code: string): ClientError {
    return new ClientError('HOLEPUNCH_FAILED', `could not reach ${key} directly: hole punching through the NATs failed (${code})`,
      'when both sides are behind NATs that give every peer another port (symmetric NATs), only a relay joins them: ' +
      'pass --relay RELAY_KEY (a roost node with the relay role on a reachable address logs its relayKey), or list it under relays: in a node\'s config')
  }

  // The relay named could not join the two sides, and punching failed too.
  static RELAY_FAILED (key: string, reason: string): ClientError {
    return new ClientError('RELAY_FAILED', `could not reach ${key}, directly or through the relay: ${reason}`,
      'check that the relay is running on a reachable address (a public address, a DMZ or a port forward) and that it trusts your key (`roost id` prints it)')
  }

  static TIMEOUT (what: string, ms: number): ClientError {
    return new ClientError('TIMEOUT', `no answer to ${what} within ${ms / 1000} s`)
  }

  // A node from before the status carried its network view (roost doctor).
  static NO_NETWORK_VIEW (key: string, version: string): ClientError {
    return new ClientError('NO_NETWORK_VIEW', `node ${key} (roost ${version}) does not report what it sees of its network`,
      'update the node: `roost doctor` needs a node whose status carries its network section')
  }

  // `roost doctor` ran out of time: what it was waiting for, and what went wrong last.
  static DOCTOR_NO_ANSWER (key: string, waitedFor: string, seconds: number, cause: Error & { code?: string, hint?: string }): ClientError {
    return new ClientError(cause.code === 'TIMEOUT' ? 'UNREACHABLE' : cause.code ?? 'UNREACHABLE',
      `no report from ${key} within ${seconds} s: waited for ${waitedFor} (${cause.message})`,
      cause.hint ?? 'check that the node is running and that both sides use the same bootstrap; `roost ping NODE_KEY` shows whether it is reachable at all', cause)
  }

  static NOT_KEPT (core: string): ClientError {
    return new ClientError('NOT_KEPT', `the node no longer lists core ${core}`, 'it may have been dropped or refused; see the node\'s log')
  }

  static QUOTA_BYTES (held: number, length: number): ClientError {
    return new ClientError('QUOTA_BYTES', `the node stopped at block ${held} of ${length}: your storage quota is used up`)
  }

  static DISK_FULL (held: number, length: number): ClientError {
    return new ClientError('DISK_FULL', `the node stopped at block ${held} of ${length}: its disk is full`)
  }

  static NOT_A_FOLDER (dir: string): ClientError {
    return new ClientError('NOT_A_FOLDER', `${dir} is not a folder`)
  }

  static FOLDER_NOT_EMPTY (dir: string): ClientError {
    return new ClientError('FOLDER_NOT_EMPTY', `${dir} is not empty`, 'restore into a new or empty folder')
  }

  static BACKUP_NOT_FOUND (core: string, seconds: number): ClientError {
    return new ClientError('NOT_FOUND', `no peer served backup ${core} within ${seconds} s`,
      'is the node that keeps it online? `roost status --peer NODE_KEY` shows what it holds')
  }

  static BAD_BACKUP_REF (): ClientError {
    return new ClientError('BAD_BACKUP_REF', 'not a backup reference (expected roost-backup:CORE.KEY.NODE, as `roost backup` prints)')
  }

  static NOT_A_BACKUP (): ClientError {
    return new ClientError('NOT_A_BACKUP', 'this core is not a roost backup (or the reference\'s encryption key is wrong)')
  }

  static BAD_BACKUP (path: string): ClientError {
    return new ClientError('BAD_BACKUP', `the backup names an unsafe path: ${JSON.stringify(path)}`)
  }

  static BACKUP_INCOMPLETE (block: number): ClientError {
    return new ClientError('BACKUP_INCOMPLETE', `block ${block} is missing`)
  }
}
