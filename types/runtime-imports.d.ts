// roost's package.json "imports" map these to bare-* modules on Bare and to Node's
// builtins elsewhere; the node uses only the part of the API both provide.
// (#platform resolves to node/platform/node.ts for the type checker.)
declare module '#fs' { import fs from 'fs'; export default fs }
declare module '#path' { import path from 'path'; export default path }

// UDP: bare-dgram on Bare, Node's dgram elsewhere; the part of the API both have.
declare module '#dgram' {
  export interface RemoteInfo { address: string, port: number }
  export interface UdpSocket {
    bind (port: number, address: string, onListening?: () => void): UdpSocket
    send (message: Uint8Array, port: number, address: string, callback?: (err: Error | null) => void): void
    address (): { address: string, port: number }
    close (onClose?: () => void): void
    on (event: 'message', listener: (message: Uint8Array, remote: RemoteInfo) => void): UdpSocket
    on (event: 'error', listener: (err: Error) => void): UdpSocket
    on (event: 'listening' | 'close', listener: () => void): UdpSocket
    removeListener (event: string, listener: (...args: never[]) => void): UdpSocket
    addMembership (group: string, iface?: string): void
  }
  export function createSocket (opts: { type: 'udp4', recvBufferSize?: number, reuseAddr?: boolean }): UdpSocket
  const dgram: { createSocket: typeof createSocket }
  export default dgram
}

// HTTP/1.1 client: bare-http1 on Bare, Node's http elsewhere; the part of the API both have.
declare module '#http' {
  import type { EventEmitter } from 'events'
  export interface IncomingMessage extends EventEmitter { statusCode?: number }
  export interface ClientRequest extends EventEmitter {
    write (chunk: Uint8Array): boolean
    end (): void
    destroy (): void
  }
  export function request (opts: { host: string, port: number, path: string, method: string, headers: Record<string, string> }, onResponse: (res: IncomingMessage) => void): ClientRequest
  const http: { request: typeof request }
  export default http
}
