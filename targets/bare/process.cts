// The part of Node's `process` that bundled Node.js packages use (mqtt.js,
// readable-stream, process-nextick-args), for Bare, which has no `process`. The build
// gives it to their modules under that name (BARE_PROCESS_PACKAGES) and resolves the
// `process` builtin here. bare-process is not used: its stdio streams and TTY cost
// memory the node never uses. CommonJS, so `require('process')` is this object.
type Callback = (...args: unknown[]) => void

module.exports = {
  env: {} as Record<string, string | undefined>,
  // Empty, as in browsers: process-nextick-args then wraps nextTick itself.
  version: '',
  versions: {} as Record<string, string>,
  nextTick (callback: Callback, ...args: unknown[]): void {
    queueMicrotask(() => callback(...args))
  }
}
