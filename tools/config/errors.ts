// Errors raised while reading and checking configs (board, node, fleet). Each has
// a stable `code` a program can switch on and a message that names the file, the
// line and the field; `hint` says how to fix it when there is a fix.
import { RoostError } from '../../node/errors.ts'

export interface ConfigErrorWhere {
  file?: string
  line?: number
  field?: string
}

export class ConfigError extends RoostError {
  readonly file?: string
  readonly line?: number
  readonly field?: string
  // For INVALID_FILE: each problem on its own.
  problems: readonly ConfigError[] = []

  constructor (code: string, message: string, hint?: string, where: ConfigErrorWhere = {}) {
    super('ConfigError', code, message, hint)
    this.file = where.file
    this.line = where.line
    this.field = where.field
  }

  static INVALID_FIELD (file: string, line: number, field: string, reason: string, hint?: string): ConfigError {
    return new ConfigError('INVALID_FIELD', `${file}:${line}: ${field}: ${reason}`, hint, { file, line, field })
  }

  static UNKNOWN_BOARD (id: string, validIds: readonly string[]): ConfigError {
    return new ConfigError('UNKNOWN_BOARD',
      `unknown board "${id}" (valid boards: ${validIds.join(', ')})`,
      'pick one of the listed ids, or add board-configs/<id>.yaml for a new board')
  }

  static NOT_FOUND (file: string): ConfigError {
    return new ConfigError('NOT_FOUND', `${file}: no such file or folder`, undefined, { file })
  }

  // Several problems of one file, each with its line, field and fix, reported together.
  static PROBLEMS (file: string, problems: readonly ConfigError[]): ConfigError {
    const lines = problems.map((p) => p.hint === undefined ? p.message : `${p.message}\n  fix: ${p.hint}`)
    const err = new ConfigError('INVALID_FILE', `${file}: ${problems.length} problems\n${lines.join('\n')}`,
      'fix each line above; roost checks the whole file again', { file })
    err.problems = problems
    return err
  }

  // `roost fleet status` and the install paths read what `roost provision` wrote.
  static NO_INVENTORY (file: string): ConfigError {
    return new ConfigError('NOT_FOUND', `${file}: no such file or folder`,
      'pass the inventory.json that `roost provision --fleet FILE --out DIR` wrote in DIR', { file })
  }

  static YAML_SYNTAX (file: string, line: number, reason: string, hint?: string): ConfigError {
    return new ConfigError('YAML_SYNTAX', `${file}:${line}: ${reason}`, hint, { file, line })
  }
}
