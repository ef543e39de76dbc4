// Errors the node raises. Each has a stable `code` a program can switch on and a
// message a person can act on; `hint` says how to fix it when there is a fix.
export class NodeError extends Error {
  readonly code: string
  readonly hint?: string

  constructor (code: string, message: string, hint?: string) {
    super(message)
    this.name = 'NodeError'
    this.code = code
    this.hint = hint
  }

  static INVALID_CONFIG (field: string, reason: string): NodeError {
    return new NodeError('INVALID_CONFIG', `config: ${field}: ${reason}`,
      'rebuild the config with `roost build`, which validates it')
  }

  static IDENTITY_PERMISSIONS (file: string, mode: number): NodeError {
    return new NodeError('IDENTITY_PERMISSIONS',
      `identity file ${file} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(3, '0')})`,
      `run: chmod 600 ${file}`)
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
    return new NodeError('BROKER_PASSWORD_PERMISSIONS',
      `bridge password file ${file} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(3, '0')})`,
      `run: chmod 600 ${file}`)
  }

  static BROKER_NOT_AUTHORIZED (reason: string): NodeError {
    return new NodeError('BROKER_NOT_AUTHORIZED', `the broker refused the bridge's login: ${reason}`,
      'check the bridge username and password (or passwordFile) against the broker\'s users; the node keeps retrying')
  }

  static BROKER_VERSION_REFUSED (version: 4 | 5, reason: string): NodeError {
    return new NodeError('BROKER_VERSION_REFUSED', `the broker does not accept MQTT ${version === 5 ? '5' : '3.1.1'}: ${reason}`,
      version === 5 ? 'set the bridge protocolVersion to 4 (MQTT 3.1.1), which every broker speaks' : undefined)
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

  static UNREACHABLE (key: string, reason: string): NodeError {
    return new NodeError('UNREACHABLE', `could not reach ${key}: ${reason}`,
      'check that the node is running and that both sides use the same bootstrap')
  }
}
