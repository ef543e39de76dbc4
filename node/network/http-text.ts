// A small HTTP/1.1 exchange with the home router (UPnP's description and SOAP control):
// bare-http1 on Bare, Node's http elsewhere (#http), the body read whole as text, with a
// deadline. Routers' UPnP servers speak plain HTTP on the LAN.
import b4a from 'b4a'
import http from '#http'

export interface HttpTarget { host: string, port: number, path: string }

// "http://192.168.1.1:5000/rootDesc.xml" → its parts; null for anything but plain http.
export function parseHttpUrl (url: string): HttpTarget | null {
  const match = /^http:\/\/([0-9A-Za-z.-]+)(?::(\d{1,5}))?(\/[^\s#]*)?$/.exec(url.trim())
  if (match === null) return null
  const port = match[2] === undefined ? 80 : Number(match[2])
  if (port < 1 || port > 65535) return null
  return { host: match[1], port, path: match[3] ?? '/' }
}

export interface HttpReply { status: number, body: string }
// Why no reply came, in words for the log; these are expected failures, not thrown.
export interface HttpFailure { reason: string }

const MAX_BODY = 256 * 1024

export function httpText (target: HttpTarget, opts: { method: 'GET' | 'POST', headers?: Record<string, string>, body?: string, timeoutMs: number }): Promise<HttpReply | HttpFailure> {
  return new Promise((resolve) => {
    const body = opts.body === undefined ? undefined : b4a.from(opts.body)
    const req = http.request({
      host: target.host,
      port: target.port,
      path: target.path,
      method: opts.method,
      headers: { connection: 'close', ...(body === undefined ? {} : { 'content-length': String(body.byteLength) }), ...opts.headers }
    }, (res) => {
      const chunks: Uint8Array[] = []
      let size = 0
      res.on('data', (chunk: Uint8Array) => {
        size += chunk.byteLength
        // A description or SOAP reply is a few KB: more is not a router talking.
        if (size > MAX_BODY) { req.destroy(); fail(`the reply from ${target.host} is larger than ${MAX_BODY} bytes`); return }
        chunks.push(chunk)
      })
      res.on('end', () => {
        clearTimeout(timer)
        resolve({ status: res.statusCode ?? 0, body: b4a.toString(b4a.concat(chunks), 'utf8') })
      })
      res.on('error', (err: Error) => fail(err.message))
    })
    const timer = setTimeout(() => { req.destroy(); fail(`no answer from ${target.host}:${target.port} within ${opts.timeoutMs} ms`) }, opts.timeoutMs)
    function fail (reason: string): void {
      clearTimeout(timer)
      resolve({ reason })
    }
    req.on('error', (err: Error) => fail(err.message))
    if (body !== undefined) req.write(body)
    req.end()
  })
}
