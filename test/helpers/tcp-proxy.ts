import net from 'node:net'
import type { ExecutionContext } from 'ava'

export interface TcpProxy {
  port: number
  // While true, bytes from the client side towards the server are swallowed: the
  // client believes it answered, the server never hears it.
  holdUpstream: boolean
  // While true, new connections are closed at once, as if the server were down.
  refuse: boolean
  dropConnections (): void
  // Sends bytes to every client as if the server had sent them.
  injectDownstream (bytes: Uint8Array): void
}

// A loopback TCP proxy in front of a server, closed when the test ends.
export async function startTcpProxy (t: ExecutionContext, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>()
  const clients = new Set<net.Socket>()
  const proxy: TcpProxy = {
    port: 0,
    holdUpstream: false,
    refuse: false,
    dropConnections () { for (const s of sockets) s.destroy() },
    injectDownstream (bytes) { for (const c of clients) c.write(bytes) }
  }
  const server = net.createServer((client) => {
    if (proxy.refuse) {
      client.destroy()
      return
    }
    const upstream = net.connect(targetPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    clients.add(client)
    client.on('close', () => clients.delete(client))
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
