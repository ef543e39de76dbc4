// Errors of the `roost` command line: what the user typed and what the command needs
// from this machine. main.ts prints them as `CODE: message` and `hint: …`.
import { RoostError } from '../../node/errors.ts'

export class CliError extends RoostError {
  constructor (code: string, message: string, hint?: string, cause?: unknown) {
    super('CliError', code, message, hint, cause)
  }

  static USAGE (command: string, message: string): CliError {
    return new CliError('USAGE', `roost ${command}: ${message}`, `run: roost ${command} --help`)
  }

  static UNKNOWN_COMMAND (name: string, commands: readonly string[]): CliError {
    return new CliError('USAGE', `unknown command "${name}" (commands: ${commands.join(', ')})`, 'run: roost --help')
  }

  // A file a flag names that cannot be used; `cause` says why, and its hint is the fix.
  static BAD_FILE_FLAG (command: string, flag: string, cause: RoostError): CliError {
    return new CliError('USAGE', `roost ${command}: --${flag}: ${cause.message}`, cause.hint, cause)
  }

  static NO_NODE (dataDir: string): CliError {
    return new CliError('NO_NODE', `no node identity in ${dataDir}`,
      'start the node once (`roost run`), or pass --storage with its storage folder')
  }

  static AGENT_EXISTS (name: string, file: string): CliError {
    return new CliError('AGENT_EXISTS', `the node already has an agent named ${name} (${file})`,
      `pick another name, or run \`roost agent remove ${name}\` first (its router then needs the new key)`)
  }

  static NO_SUCH_AGENT (name: string, dataDir: string): CliError {
    return new CliError('NO_SUCH_AGENT', `no agent named ${name} in ${dataDir}`,
      '`roost agent ls` lists the agents; devices in the config\'s lan_ingest section are removed by editing it')
  }

  static NOT_PAIRED (key: string): CliError {
    return new CliError('NOT_PAIRED', `key ${key} is not a paired key of this node`,
      'keys from the config\'s trusted list are removed by editing the config; `roost trust ls` shows where each key comes from')
  }
}
