// Errors of the harness that starts real processes on this machine (nodes, brokers,
// testnets) for `roost run`, the demo, the bench and the tests. A wait that runs out
// says what it waited for and what the process last logged.
import { RoostError } from '../../node/errors.ts'

export class HarnessError extends RoostError {
  constructor (code: string, message: string, hint?: string, cause?: unknown) {
    super('HarnessError', code, message, hint, cause)
  }

  static UNSUPPORTED_HOST (host: string): HarnessError {
    return new HarnessError('UNSUPPORTED_HOST', `roost cannot run a node on this machine (${host})`,
      'build for a board with `roost build --board ID` and run it there')
  }

  static NO_LOCAL_BARE (host: string): HarnessError {
    return new HarnessError('NO_LOCAL_BARE', `this registry has no Bare binary for ${host}`, 'use --runtime node')
  }

  static TOOL_MISSING (name: string, packages: string): HarnessError {
    return new HarnessError('TOOL_MISSING', `${name} is not installed`,
      `run scripts/system-deps.sh (as root it installs ${packages})`)
  }

  static DID_NOT_START (what: string, log: string): HarnessError {
    return new HarnessError('DID_NOT_START', `${what} did not start; its log: ${log}`)
  }

  static EXITED (name: string, waitedFor: string, log: string): HarnessError {
    return new HarnessError('EXITED', `${name} exited before ${waitedFor}; ${log}`)
  }

  static WAIT_TIMEOUT (waitedFor: string, ms: number, log: string): HarnessError {
    return new HarnessError('WAIT_TIMEOUT', `no ${waitedFor} within ${ms} ms${log === '' ? '' : `; ${log}`}`)
  }

  // A transfer whose progress stopped: nothing moved for `ms`.
  static STALLED (what: string, ms: number, log: string): HarnessError {
    return new HarnessError('STALLED', `${what} stalled: nothing moved for ${ms / 1000} s${log === '' ? '' : `; ${log}`}`)
  }

  // A measurement or a demo step that did not come out as it must.
  static CHECK_FAILED (what: string): HarnessError {
    return new HarnessError('CHECK_FAILED', what)
  }

  static BAD_OPTION (name: string, reason: string): HarnessError {
    return new HarnessError('BAD_OPTION', `${name}: ${reason}`)
  }
}
