// Every reason a node gives for not doing what a peer asked, as it travels on the wire:
// a stable code the peer can switch on and a message for its user. The peer's side
// turns one into NodeError.REFUSED with the same code (protocol/channel.ts).
import type { InviteRefusalCode } from '../trust/invites.ts'

export interface Refused { code: RefusalCode, message: string }

export type RefusalCode =
  | 'NOT_TRUSTED' | 'NOT_OPERATOR' | 'NOT_SERVED' | 'FAILED' | 'CLOSING' | 'BAD_REQUEST'
  | 'NO_FEEDS' | 'NO_BRIDGE' | 'COMMAND_REFUSED' | 'NO_STORAGE'
  | InviteRefusalCode
  | 'QUOTA_CORES' | 'QUOTA_BYTES' | 'BUDGET_FULL' | 'DISK_FULL' | 'CORE_UNAVAILABLE' | 'NOT_SAVED'
  | 'NOT_KEPT' | 'NOT_OWNER'

function refused (code: RefusalCode, message: string): Refused {
  return { code, message }
}

export const Refusal = {
  NOT_TRUSTED: (key: string) => refused('NOT_TRUSTED', `this node does not trust key ${key}`),
  // Only the fleet's operator key may see a node's health (memory, errors, uptime): a
  // trusted household key may not.
  NOT_OPERATOR: (key: string) => refused('NOT_OPERATOR', `only this node's operator key may ask for its health, not ${key}`),
  // The peer has no handler for that request (a node talking to a client, say).
  NOT_SERVED: () => refused('NOT_SERVED', 'this peer does not serve that request'),
  // Something failed on the answering side (a full disk, say): an answer, not a timeout.
  FAILED: (reason: string) => refused('FAILED', reason),
  CLOSING: () => refused('CLOSING', 'the node is shutting down; ask again in a moment'),
  BAD_REQUEST: (reason: string) => refused('BAD_REQUEST', reason),

  NO_FEEDS: () => refused('NO_FEEDS', 'this node has no feeds (no bridge role configured)'),
  NO_BRIDGE: () => refused('NO_BRIDGE', 'this node has no broker to publish to'),
  COMMAND_REFUSED: (reason: string) => refused('COMMAND_REFUSED', reason),
  NO_STORAGE: () => refused('NO_STORAGE', 'this node does not keep cores (no storage role configured)'),

  INVITE_UNKNOWN: () => refused('INVITE_UNKNOWN', 'this node did not issue that invite'),
  INVITE_USED: () => refused('INVITE_USED', 'this invite has already been used; ask for a new one (`roost invite` on the node\'s machine)'),
  INVITE_EXPIRED: (expiresAt: number) => refused('INVITE_EXPIRED', `this invite expired at ${new Date(expiresAt).toISOString()}; ask for a new one`),

  QUOTA_CORES: (limit: number, kept: number) =>
    refused('QUOTA_CORES', `your key may keep at most ${limit} cores on this node and already keeps ${kept}`),
  QUOTA_BYTES: (byteLength: number, used: number, limit: number) =>
    refused('QUOTA_BYTES', `this core (${byteLength} bytes) does not fit your quota: ${used} of ${limit} bytes used`),
  BUDGET_FULL: (budget: number, byteLength: number) =>
    refused('BUDGET_FULL', `this node's storage budget (${budget} bytes) has no room for ${byteLength} more bytes, and nothing stored may be dropped for it`),
  DISK_FULL: () => refused('DISK_FULL', 'the node\'s disk is full; it takes no new cores until space returns'),
  NO_ROOM: (room: number, byteLength: number) =>
    refused('DISK_FULL', `the node's disk has room for ${Math.max(0, room)} more bytes, not ${byteLength}`),
  CORE_UNAVAILABLE: (core: string, seconds: number) =>
    refused('CORE_UNAVAILABLE', `no peer served core ${core} within ${seconds} s; ask again while a device that has it is online`),
  NOT_SAVED: (reason: string) =>
    refused('NOT_SAVED', `the node could not record this core on its disk (${reason}); ask again later`),
  NOT_KEPT: (core: string) => refused('NOT_KEPT', `this node does not keep core ${core}`),
  NOT_OWNER: () => refused('NOT_OWNER', 'only the key that asked the node to keep this core may drop it')
} as const
