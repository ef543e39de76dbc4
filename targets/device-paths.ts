// Where the node lives on a device, and as whom it runs: one place for the service
// files, install.sh and the .ipk.
export const INSTALL_DIR = '/opt/roost'

// The system user the node runs as on systemd boards; install.sh creates it.
export const SERVICE_USER = 'roost'
