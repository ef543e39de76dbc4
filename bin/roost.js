#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npx roost` works straight after `npm ci`
// with no separate compile step to forget.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../tools/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
