// Tests that take longer than CI's 20 minutes allow (`npm run test:long`): hyperdht's
// own reachability check runs about 20 minutes after a node starts.
export default {
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  files: ['test/long/**/*.test.ts'],
  timeout: '30m',
  concurrency: 1,
  workerThreads: false
}
