// Wire format of roost's control channel: a protomux channel on the same encrypted
// stream that replication uses. Anyone may ping; requests that read or change the
// node's state are answered only for trusted keys.
import * as c from 'compact-encoding'

export const PROTOCOL = 'roost/control/v1'

interface State { start: number, end: number, buffer: Uint8Array | null }
interface Encoder<T> {
  preencode (state: State, value: T): void
  encode (state: State, value: T): void
  decode (state: State): T
}

export interface Ping { seq: number }

export interface StatusRequest { id: number }

export interface NodeStatus {
  publicKey: Uint8Array
  version: string
  boardId: string
  host: string
  runtime: string
  roles: string[]
  uptimeMs: number
  storageBytes: number
  connections: number
}

export interface StatusReply { id: number, status: NodeStatus }

export interface Refusal { id: number, code: string, message: string }

export const ping: Encoder<Ping> = {
  preencode (state, m) { c.uint.preencode(state, m.seq) },
  encode (state, m) { c.uint.encode(state, m.seq) },
  decode (state) { return { seq: c.uint.decode(state) } }
}

export const statusRequest: Encoder<StatusRequest> = {
  preencode (state, m) { c.uint.preencode(state, m.id) },
  encode (state, m) { c.uint.encode(state, m.id) },
  decode (state) { return { id: c.uint.decode(state) } }
}

const stringArray = c.array(c.string)

const nodeStatus: Encoder<NodeStatus> = {
  preencode (state, s) {
    c.fixed32.preencode(state, s.publicKey)
    c.string.preencode(state, s.version)
    c.string.preencode(state, s.boardId)
    c.string.preencode(state, s.host)
    c.string.preencode(state, s.runtime)
    stringArray.preencode(state, s.roles)
    c.uint.preencode(state, s.uptimeMs)
    c.uint.preencode(state, s.storageBytes)
    c.uint.preencode(state, s.connections)
  },
  encode (state, s) {
    c.fixed32.encode(state, s.publicKey)
    c.string.encode(state, s.version)
    c.string.encode(state, s.boardId)
    c.string.encode(state, s.host)
    c.string.encode(state, s.runtime)
    stringArray.encode(state, s.roles)
    c.uint.encode(state, s.uptimeMs)
    c.uint.encode(state, s.storageBytes)
    c.uint.encode(state, s.connections)
  },
  decode (state) {
    return {
      publicKey: c.fixed32.decode(state),
      version: c.string.decode(state),
      boardId: c.string.decode(state),
      host: c.string.decode(state),
      runtime: c.string.decode(state),
      roles: stringArray.decode(state),
      uptimeMs: c.uint.decode(state),
      storageBytes: c.uint.decode(state),
      connections: c.uint.decode(state)
    }
  }
}

export const statusReply: Encoder<StatusReply> = {
  preencode (state, m) { c.uint.preencode(state, m.id); nodeStatus.preencode(state, m.status) },
  encode (state, m) { c.uint.encode(state, m.id); nodeStatus.encode(state, m.status) },
  decode (state) { return { id: c.uint.decode(state), status: nodeStatus.decode(state) } }
}

export const refusal: Encoder<Refusal> = {
  preencode (state, m) { c.uint.preencode(state, m.id); c.string.preencode(state, m.code); c.string.preencode(state, m.message) },
  encode (state, m) { c.uint.encode(state, m.id); c.string.encode(state, m.code); c.string.encode(state, m.message) },
  decode (state) { return { id: c.uint.decode(state), code: c.string.decode(state), message: c.string.decode(state) } }
}
