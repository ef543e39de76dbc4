// Node's `net` for Bare: bare-tcp with Node's default of closing a socket once the
// other side has ended it. bare-tcp keeps such a socket half open, so mqtt.js, which
// reconnects on 'close', never noticed that the broker had gone (measured: 'end' came,
// 'close' never did).
const tcp = require('bare-tcp')

type ConnectOptions = { port?: number, host?: string, allowHalfOpen?: boolean, [key: string]: unknown }

function createConnection (options: ConnectOptions, onconnect?: () => void): unknown {
  return tcp.createConnection({ allowHalfOpen: false, ...options }, onconnect)
}

module.exports = { ...tcp, createConnection, connect: createConnection }
