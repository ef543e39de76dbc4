// Where the node lives on a device, and as whom it runs: one place for the service
// files, install.sh and the .ipk.
export const INSTALL_DIR = '/opt/roost'

// Before the bundle on every command line that starts the node: gc() for the node's
// heap trim (node/platform/heap-trim.ts). Bare and Node.js both take it.
export const RUNTIME_FLAGS = ['--expose-gc']

// The system user the node runs as on systemd boards; install.sh creates it.
export const SERVICE_USER = 'roost'
