import net from 'node:net'
import type { ExecutionContext } from 'ava'

export interface TcpProxy {
  port: number
  // While true, bytes from the client side towards the server are swallowed: the
  // client believes it answered, the server never hears it.
  holdUpstream: boolean
  dropConnections (): void
}

// A loopback TCP proxy in front of a server, closed when the test ends.
export async function startTcpProxy (t: ExecutionContext, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>()
  const proxy: TcpProxy = {
    port: 0,
    holdUpstream: false,
    dropConnections () { for (const s of sockets) s.destroy() }
  }
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    client.on('data', (chunk) => { if (!proxy.holdUpstream) upstream.write(chunk) })
    upstream.on('data', (chunk) => client.write(chunk))
    const close = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream) }
    client.on('close', close).on('error', close)
    upstream.on('close', close).on('error', close)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  proxy.port = (server.address() as net.AddressInfo).port
  t.teardown(() => new Promise<void>((resolve) => { proxy.dropConnections(); server.close(() => resolve()) }))
  return proxy
}
