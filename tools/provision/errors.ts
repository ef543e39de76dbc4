// Errors of provisioning and the install paths: the output folder, the devices named on
// the command line, and what is written onto a device.
import { RoostError } from '../../node/errors.ts'

export class ProvisionError extends RoostError {
  constructor (code: string, message: string, hint?: string, cause?: unknown) {
    super('ProvisionError', code, message, hint, cause)
  }

  // The folder holds another fleet's keys: provisioning into it would mix two fleets.
  static FOREIGN_FLEET (dir: string, theirs: string, ours: string): ProvisionError {
    return new ProvisionError('FOREIGN_FLEET', `${dir} holds the keys of fleet "${theirs}", not "${ours}"`,
      'pass another --out folder, or --force to provision this fleet there anyway (devices of the same name keep their keys)')
  }

  static NOT_A_FLEET_FOLDER (dir: string): ProvisionError {
    return new ProvisionError('NOT_A_FLEET_FOLDER', `${dir} is not empty and holds no provisioned fleet (no fleet.json)`,
      'pass a new or empty --out folder, or --force to write into it anyway')
  }

  static UNKNOWN_DEVICE (name: string, names: readonly string[]): ProvisionError {
    return new ProvisionError('UNKNOWN_DEVICE', `no device named "${name}" (devices: ${names.join(', ') || 'none'})`,
      'use a name from the fleet file or the inventory')
  }

  static BAD_INVENTORY (file: string, reason: string): ProvisionError {
    return new ProvisionError('BAD_INVENTORY', `${file} is not a roost inventory: ${reason}`,
      'run `roost provision --fleet FILE --out DIR` to write it again')
  }
}
