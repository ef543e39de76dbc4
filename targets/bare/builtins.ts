// How Node.js code becomes Bare code in the bundle. Builtins that dependencies import
// map to the Bare module that provides the same API (the subset of
// bare-node-runtime/imports.json the node needs) or to a shim in this folder. Keeping
// the list short keeps the device bundle lean; a new import fails the build loudly.
export const BARE_BUILTINS: Record<string, string> = {
  assert: 'bare-assert',
  // readable-stream, mqtt-packet and bl take Buffer from 'buffer'.
  buffer: 'bare-buffer',
  // bare-events, made callable as a function for readable-stream's legacy Stream.
  events: './targets/bare/events.cts',
  fs: 'bare-fs',
  // mqtt.js connects with net.createConnection({ port, host }): bare-tcp with Node's
  // allowHalfOpen default; bare-net would add bare-pipe, an addon for Unix sockets the
  // node never opens.
  net: './targets/bare/net.cts',
  os: 'bare-os',
  path: 'bare-path',
  // readable-stream's `require('process/')`; see BARE_PROCESS_PACKAGES for the global.
  process: './targets/bare/process.cts',
  // mqtt.js's mqtts:// transport: bare-tls over bare-tcp, verifying the broker's certificate.
  tls: './targets/bare/tls.cts',
  // readable-stream only reads an opt-out flag from Node's stream module.
  stream: 'bare-stream',
  // readable-stream decodes text with the npm copy of Node's module (its dependency).
  string_decoder: 'string_decoder/',
  // Only debug's Node.js build uses tty and util, and with no `process` global debug loads
  // its browser build; inherits feature-tests util.inherits and falls back to its own.
  tty: './targets/bare/absent.cts',
  util: './targets/bare/absent.cts',
  // mqtt.js parses broker URLs with Node's legacy url.parse().
  url: './targets/bare/url.cts'
}

// upstream(mqtt@5.16.0), upstream(readable-stream@4.8.0): packages written for Node.js that
// use the global `process`, which Bare lacks: each of their modules sees this shim under
// that name (mqtt.js reads `process?.nextTick` as it loads, readable-stream `process.env`,
// process-nextick-args calls `process.nextTick`).
export const BARE_PROCESS_SHIM = 'targets/bare/process.cts'
export const BARE_PROCESS_PACKAGES: string[] = ['mqtt', 'process-nextick-args', 'readable-stream']

// Modules of packages, by their path under node_modules, that the Bare bundle replaces.
// upstream(mqtt@5.16.0), upstream(bare-tls@3.1.11): mqtt.js loads all of its transports on the first connect() although the node speaks
// only mqtt:// over TCP and mqtts:// over TLS; replacing the WebSocket and SOCKS ones
// keeps ws, socks and the builtins only they import (http, https, crypto, zlib, dns)
// out of the bundle, about 130 KB of minified code. bare-tls's net.js is its connect()
// over bare-net, which would ship bare-pipe (an addon for Unix sockets) too: roost's
// tls.cts wraps bare-tcp in bare-tls's Socket instead.
export const BARE_REPLACED_MODULES: Record<string, string> = {
  'bare-tls/net.js': 'targets/bare/absent.cts',
  'mqtt/build/lib/connect/socks.js': 'targets/bare/mqtt-transports.cts',
  'mqtt/build/lib/connect/ws.js': 'targets/bare/mqtt-transports.cts'
}

// Exact edits to modules of packages in the Bare bundle, each of which must match once
// (the build fails otherwise, so a package update cannot silently undo one).
// upstream(bl@6.1.6): bl's BufferList (mqtt.js's packet parser) cuts views of its buffers with
// Buffer#slice, which on Node.js is a view but on Bare copies: measured 1.79 GB copied
// for 20,000 MQTT messages, 8 copies per message. subarray is a view on both.
export const BARE_PATCHED_MODULES: Record<string, Array<[string, string]>> = {
  'bl/BufferList.js': [
    [': this._bufs[off[0]].slice(start, start + bytes)', ': this._bufs[off[0]].subarray(start, start + bytes)'],
    ['if (dst.length > bufoff) return dst.slice(0, bufoff)', 'if (dst.length > bufoff) return dst.subarray(0, bufoff)'],
    ['buffers[buffers.length - 1] = buffers[buffers.length - 1].slice(0, endOffset[1])', 'buffers[buffers.length - 1] = buffers[buffers.length - 1].subarray(0, endOffset[1])'],
    ['buffers[0] = buffers[0].slice(startOffset[1])', 'buffers[0] = buffers[0].subarray(startOffset[1])'],
    ['this._bufs[0] = this._bufs[0].slice(bytes)', 'this._bufs[0] = this._bufs[0].subarray(bytes)']
  ]
}
