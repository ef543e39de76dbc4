// Stands in for mqtt.js's WebSocket and SOCKS transports in the Bare bundle (see
// BARE_REPLACED_MODULES). It has the exports mqtt.js takes from them, and each throws
// when a client would use that transport, rather than the build failing or the node
// quietly connecting some other way.
function unavailable (): never {
  throw new Error('this mqtt.js transport (WebSocket or SOCKS) is not in the roost node on Bare: connect with mqtt:// or mqtts://')
}

module.exports = { __esModule: true, default: unavailable, streamBuilder: unavailable, browserStreamBuilder: unavailable }
