// Stands in for mqtt.js's WebSocket and SOCKS transports in the Bare bundle (see
// BARE_REPLACED_MODULES). It has the exports mqtt.js takes from them, and each throws
// when a client would use that transport, rather than the build failing or the node
// quietly connecting some other way.
import { NodeError } from '../../node/errors.ts'

function unavailable (): never {
  throw NodeError.TRANSPORT_NOT_BUNDLED()
}

module.exports = { __esModule: true, default: unavailable, streamBuilder: unavailable, browserStreamBuilder: unavailable }
