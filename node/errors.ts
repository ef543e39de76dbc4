// Every error roost raises is a RoostError: a stable `code` a program can switch on, a
// message a person can act on, a `hint` with the fix when there is one, and the `cause`
// it wraps. Each layer has one catalogue, a subclass whose static factories are the only
// place its errors are built (test/unit/errors.test.ts fails on an error built anywhere
// else): node (here), wire refusals (protocol/refusals.ts), build (targets/errors.ts),
// config, CLI, client and harness (tools/*/errors.ts).
export class RoostError extends Error {
  readonly code: string
  readonly hint?: string

  constructor (name: string, code: string, message: string, hint?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = name
    this.code = code
    if (hint !== undefined) this.hint = hint
  }
}

// Errors of the node on the device, and of the control channel both sides share.
export class NodeError extends RoostError {
  constructor (code: string, message: string, hint?: string, cause?: unknown) {
    super('NodeError', code, message, hint, cause)
  }

  static INVALID_CONFIG (field: string, reason: string): NodeError {
    return new NodeError('INVALID_CONFIG', `config: ${field}: ${reason}`,
      'rebuild the config with `roost build`, which validates it')
  }

  static IDENTITY_PERMISSIONS (file: string, mode: number): NodeError {
    return readableByOthers('IDENTITY_PERMISSIONS', 'identity file', file, mode)
  }

  static IDENTITY_CORRUPT (file: string, reason: string): NodeError {
    return new NodeError('IDENTITY_CORRUPT', `identity file ${file} is not a valid roost identity: ${reason}`,
      'restore it from a backup; roost never replaces an existing identity (move the file away to start as a new node)')
  }

  // The storage peer's record of what it keeps cannot be read: it does not start rather
  // than forget cores it has acknowledged.
  static HOLDINGS_CORRUPT (file: string, reason: string): NodeError {
    return new NodeError('HOLDINGS_CORRUPT', `storage holdings ${file} cannot be read: ${reason}`,
      'restore the file from a backup, or move it away to start without the cores it records (their blocks stay on disk)')
  }

  // A file the bridge reads at connect (CA, password) that it cannot use. The message
  // names the file and what is wrong with it, never what it holds.
  static BROKER_CA_FILE (file: string, reason: string): NodeError {
    return new NodeError('BROKER_CA_FILE', `bridge CA file ${file} cannot be used: ${reason}`,
      'put the PEM certificate of the CA that signed the broker\'s certificate there (openssl x509 -outform PEM), or fix caFile in the config')
  }

  static BROKER_PASSWORD_FILE (file: string, reason: string): NodeError {
    return new NodeError('BROKER_PASSWORD_FILE', `bridge password file ${file} cannot be used: ${reason}`,
      'write the broker password (and nothing else) into it, or fix passwordFile in the config')
  }

  static BROKER_PASSWORD_PERMISSIONS (file: string, mode: number): NodeError {
    return readableByOthers('BROKER_PASSWORD_PERMISSIONS', 'bridge password file', file, mode)
  }

  static BROKER_NOT_AUTHORIZED (reason: string): NodeError {
    return new NodeError('BROKER_NOT_AUTHORIZED', `the broker refused the bridge's login: ${reason}`,
      'check the bridge username and password (or passwordFile) against the broker\'s users; the node keeps retrying')
  }

  static BROKER_VERSION_REFUSED (version: 4 | 5, reason: string): NodeError {
    return new NodeError('BROKER_VERSION_REFUSED', `the broker does not accept MQTT ${version === 5 ? '5' : '3.1.1'}: ${reason}`,
      version === 5 ? 'set the bridge protocolVersion to 4 (MQTT 3.1.1), which every broker speaks' : undefined)
  }

  // The config names an mqtts:// broker and the artifact was built without TLS: it
  // carries bare-tls only when its config named one (targets/artifact.ts).
  static BROKER_TLS_NOT_BUILT (): NodeError {
    return new NodeError('BROKER_TLS_NOT_BUILT', 'the bridge cannot reach an mqtts:// broker: this artifact was built without TLS, as its config named no mqtts:// broker',
      'rebuild the artifact with this config (roost build --board ID --config FILE) or with --tls, and install it; or use an mqtt:// broker. The node keeps retrying')
  }

  // A device key file (lanIngest keyFile) or an agent file (agents/NAME.json) the
  // lan-ingest role cannot use. Like the broker's password file: the message names the
  // file and what is wrong, never what it holds.
  static LAN_KEY_FILE (file: string, reason: string): NodeError {
    return new NodeError('LAN_KEY_FILE', `device key file ${file} cannot be used: ${reason}`,
      'write the device\'s 64 hex characters (and nothing else) into it, as `roost agent add` prints them, or fix keyFile in the config; then restart the node')
  }

  static LAN_KEY_PERMISSIONS (file: string, mode: number): NodeError {
    return readableByOthers('LAN_KEY_PERMISSIONS', 'device key file', file, mode)
  }

  static LAN_AGENT_FILE (file: string, reason: string): NodeError {
    return new NodeError('LAN_AGENT_FILE', `agent file ${file} cannot be used: ${reason}`,
      'remove it with `roost agent remove NAME` and add the agent again with `roost agent add NAME`')
  }

  // Two devices the node would know by one name or one id: the later one is left out.
  static LAN_DEVICE_CONFLICT (what: string, reason: string): NodeError {
    return new NodeError('LAN_DEVICE_CONFLICT', `${what}: ${reason}`,
      'give each device its own name; `roost agent add` makes a fresh id for each')
  }

  // Like HOLDINGS_CORRUPT: without it the role could store a retransmission twice, so
  // it does not start (the node serves on without it).
  static LAN_STATE_CORRUPT (file: string, reason: string): NodeError {
    return new NodeError('LAN_STATE_CORRUPT', `lan-ingest state ${file} cannot be read: ${reason}`,
      'restore it from a backup, or move it away: the role then starts with empty windows and may store once more a reading an agent sends again')
  }

  static LAN_LISTEN_FAILED (address: string, cause: unknown): NodeError {
    return new NodeError('LAN_LISTEN_FAILED', `lan-ingest cannot listen on UDP ${address}: ${(cause as Error)?.message ?? String(cause)}`,
      'another program may use that port: set lanIngest port (lan_ingest: port:) to a free one, and the agents\' node option to match', cause)
  }

  static STORAGE_UNUSABLE (dir: string, reason: string): NodeError {
    return new NodeError('STORAGE_UNUSABLE', `storage folder ${dir} cannot be used: ${reason}`,
      'pass --storage DIR with a folder this user can write')
  }

  static BAD_KEY (what: string, value: string): NodeError {
    return new NodeError('BAD_KEY', `${what}: "${value}" is not a public key (expected 52 z-base-32 or 64 hex characters)`)
  }

  static BAD_BOOTSTRAP (value: string): NodeError {
    return new NodeError('BAD_BOOTSTRAP', `bootstrap "${value}" is not host:port`, 'example: --bootstrap 127.0.0.1:49737')
  }

  static PEER_CLOSED (): NodeError {
    return new NodeError('PEER_CLOSED', 'the peer closed the connection')
  }

  static TIMEOUT (what: string, ms: number): NodeError {
    return new NodeError('TIMEOUT', `no answer to ${what} within ${ms / 1000} s`)
  }

  // A refusal the remote node sent, with the code it chose (NOT_TRUSTED, ...).
  static REFUSED (code: string, message: string): NodeError {
    return new NodeError(code, message)
  }


  static BAD_ARGUMENT (reason: string, hint?: string): NodeError {
    return new NodeError('BAD_ARGUMENT', reason, hint)
  }

  static CONFIG_UNREADABLE (file: string, cause: unknown): NodeError {
    return new NodeError('CONFIG_UNREADABLE', `cannot read config ${file}: ${(cause as Error)?.message ?? String(cause)}`, undefined, cause)
  }

  static SHUTDOWN_FAILED (cause: unknown): NodeError {
    return new NodeError('SHUTDOWN_FAILED', `closing the node failed: ${(cause as Error)?.message ?? String(cause)}`, undefined, cause)
  }

  static BAD_FEED_REF (): NodeError {
    return new NodeError('BAD_FEED_REF', 'not a feed reference (expected roost-feed:NAME.NODE.CORE.KEY, as `roost feed ls` prints)')
  }

  static BAD_INVITE (): NodeError {
    return new NodeError('BAD_INVITE', 'not a roost invite (expected roost-invite:NODE.SECRET, as `roost invite` prints)')
  }

  // An mqtt.js error that is none of the refusals above, under its own code.
  static BROKER_ERROR (code: string | null, message: string, cause: unknown): NodeError {
    return new NodeError(code ?? 'BROKER_ERROR', message, undefined, cause)
  }

  static COMMAND_NOT_ALLOWED (topic: string): NodeError {
    return new NodeError('COMMAND_NOT_ALLOWED', `topic "${topic}" is not in this node's command allowlist`)
  }

  // Mosquitto's $SYS count of dropped messages grew (broker-drops.ts).
  static BROKER_DROPPED (dropped: number): NodeError {
    return new NodeError('BROKER_DROPPED', `the broker dropped ${dropped} messages since the bridge last looked; readings for this node may be among them`,
      'set max_queued_messages 0 and max_queued_bytes 0 in mosquitto.conf, so that the broker keeps every QoS 1 reading while the node is away')
  }

  static BROKER_DISCONNECTED (): NodeError {
    return new NodeError('BROKER_DISCONNECTED', 'the broker is not connected')
  }

  // What the intake hands mqtt.js instead of its own PUBACK (bridge/intake.ts): never
  // shown to anyone.
  static ACK_HELD (): NodeError {
    return new NodeError('ACK_HELD', 'PUBACK held until the reading is stored')
  }

  static MQTT_UNSUPPORTED (reason: string): NodeError {
    return new NodeError('MQTT_UNSUPPORTED', `this mqtt.js cannot be used by the bridge: ${reason}`,
      'install the mqtt version package.json pins')
  }

  static TRANSPORT_NOT_BUNDLED (): NodeError {
    return new NodeError('TRANSPORT_NOT_BUNDLED', 'this mqtt.js transport (WebSocket or SOCKS) is not in the roost node on Bare',
      'connect with mqtt:// or mqtts://')
  }

  static NO_SUCH_FEED (feed: string): NodeError {
    return new NodeError('NO_SUCH_FEED', `no feed named "${feed}"`)
  }

  static FEED_CLOSED (): NodeError {
    return new NodeError('FEED_CLOSED', 'the feed is closed and takes no more readings')
  }

  // A block or message that does not decode: it came from a newer roost or is damaged.
  static MALFORMED (what: string, cause?: unknown): NodeError {
    return new NodeError('MALFORMED', `malformed ${what}`, undefined, cause)
  }
}

// A secret file group or others may read: refused, with the chmod that fixes it.
function readableByOthers (code: string, what: string, file: string, mode: number): NodeError {
  return new NodeError(code, `${what} ${file} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(3, '0')})`,
    `run: chmod 600 ${file}`)
}
