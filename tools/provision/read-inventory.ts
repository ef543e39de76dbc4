// Reads DIR/inventory.json back, as `roost provision` writes it (layout.ts), for the
// commands that act on a provisioned fleet: checked before anything is asked of the
// network, with the file, line and field of the first problem. JSON is YAML, so the
// config layer's reader gives the lines. Fields a later provision adds are left alone.
import fs from 'node:fs'
import { z } from 'zod'
import { isPublicKey } from '../../node/identity/keys.ts'
import { ROLES } from '../../node/config/types.ts'
import { BOARD_PROGRAMS, HOSTS } from '../config/boards.ts'
import { ConfigError } from '../config/errors.ts'
import { parseYamlWithSchema } from '../config/yaml.ts'
import type { Inventory } from './layout.ts'

const publicKey = z.string().refine(isPublicKey, 'expected a public key (52 z-base-32 characters)')

const inventorySchema: z.ZodType<Inventory> = z.object({
  version: z.literal(1),
  fleet: z.string().min(1),
  operatorKey: publicKey,
  devices: z.array(z.object({
    name: z.string().min(1),
    board: z.string().min(1),
    host: z.enum(HOSTS),
    program: z.enum(BOARD_PROGRAMS),
    publicKey: publicKey.nullable(),
    roles: z.array(z.enum(ROLES)),
    artifact: z.string().nullable(),
    device: z.string().min(1),
    agent: z.object({ node: z.string().min(1), deviceId: z.string().regex(/^[0-9a-f]{16}$/) }).optional()
  }))
}).superRefine((inventory, ctx) => {
  const seen = new Set<string>()
  inventory.devices.forEach((device, i) => {
    if (seen.has(device.name)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'name'], message: 'expected each device name once', input: device.name })
    seen.add(device.name)
  })
})

export function readInventory (file: string): Inventory {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    throw ConfigError.NO_INVENTORY(file)
  }
  return parseYamlWithSchema(file, text, inventorySchema)
}
