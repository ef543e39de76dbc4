// The parts of LuaSocket 3.0 (OpenWrt's luasocket5.3, Debian's lua-socket) the agent uses,
// and the interpreter's `arg` table. The methods take `this` so tstl calls them with `:`.
/** @noSelfInFile */

// The script's arguments: arg[0] in TypeScript is Lua's arg[1], the first one.
declare const arg: string[]

declare module 'socket' {
  // A result, or undefined and LuaSocket's error text ("timeout", "closed", "connection refused").
  export type Result<T> = LuaMultiReturn<[T, undefined] | [undefined, string]>

  export interface UdpSocket {
    setpeername (this: UdpSocket, address: string, port: number): Result<1>
    settimeout (this: UdpSocket, seconds: number): void
    send (this: UdpSocket, datagram: string): Result<number>
    receive (this: UdpSocket, size?: number): Result<string>
    close (this: UdpSocket): void
  }

  export interface TcpSocket {
    connect (this: TcpSocket, address: string, port: number): Result<1>
    settimeout (this: TcpSocket, seconds: number): void
    send (this: TcpSocket, data: string): Result<number>
    // With a timeout of 0, what had arrived comes back as the third value ("timeout" second).
    receive (this: TcpSocket, size: number): LuaMultiReturn<[string, undefined, undefined] | [undefined, string, string]>
    close (this: TcpSocket): void
  }

  export function udp (): Result<UdpSocket>
  export function tcp (): Result<TcpSocket>
  export function select (receive: Array<UdpSocket | TcpSocket>, send: undefined, timeoutS: number): LuaMultiReturn<[unknown, unknown, string | undefined]>
  // Seconds since 1970, with a fraction.
  export function gettime (): number
}
