import { runDemo } from '../../demo/demo.ts'
import { defineCommand } from '../args.ts'

export const demo = defineCommand({
  name: 'demo',
  summary: 'Show roost\'s main job on this machine, end to end, and remove everything afterwards.',
  details: 'Builds the node, starts a local testnet, a broker and nodes on Bare; sensor readings reach a\n' +
    'peer over the DHT, encrypted end to end; a laptop backs a folder up to the home node and a phone\n' +
    'restores it; a stranger is refused.',
  usage: 'roost demo',
  flags: {}
}, async () => runDemo((line) => { process.stdout.write(line + '\n') }))
