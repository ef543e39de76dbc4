// A real OpenSSH server on a free loopback port for the deploy tests: a throwaway host
// key, one throwaway client key allowed in, nothing from the machine's own ssh setup
// (its own config file, no PAM, no password logins). close() stops it and removes
// its folder.
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { HarnessError } from './errors.ts'
import { accepts, freePort, stopProcess } from './mosquitto.ts'
import { sleep } from './wait.ts'

export interface Sshd {
  port: number
  user: string
  // The client's private key and a known_hosts file that holds the server's key.
  clientKey: string
  knownHosts: string
  log: string[]
  close (): Promise<void>
}

const START_TIMEOUT_MS = 5000

function findSshd (): string {
  const file = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((f) => fs.existsSync(f))
  if (file === undefined) throw HarnessError.TOOL_MISSING('sshd', 'openssh-server')
  return file
}

export async function startSshd (): Promise<Sshd> {
  const sshd = findSshd()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-sshd-'))
  const at = (name: string): string => path.join(dir, name)
  const keygen = (file: string): void => { execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { stdio: 'pipe' }) }
  keygen(at('host_key'))
  keygen(at('client_key'))
  fs.copyFileSync(at('client_key.pub'), at('authorized_keys'))
  fs.chmodSync(at('authorized_keys'), 0o600)
  const port = await freePort()
  const user = os.userInfo().username
  fs.writeFileSync(at('known_hosts'), `[127.0.0.1]:${port} ${fs.readFileSync(at('host_key.pub'), 'utf8')}`)
  fs.writeFileSync(at('sshd_config'), [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${at('host_key')}`,
    `AuthorizedKeysFile ${at('authorized_keys')}`,
    `PidFile ${at('sshd.pid')}`,
    `AllowUsers ${user}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    // The throwaway files live in a temporary folder that sshd's owner checks would refuse.
    'StrictModes no',
    'LogLevel VERBOSE',
    ''
  ].join('\n'))
  // sshd wants its privilege-separation folder even in debug mode.
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  // -D: stay in front; -e: log to stderr.
  const child = spawn(sshd, ['-D', '-e', '-f', at('sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] })
  const log: string[] = []
  readline.createInterface({ input: child.stderr! }).on('line', (line) => log.push(line))
  const close = async (): Promise<void> => {
    await stopProcess(child)
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await close()
      throw HarnessError.DID_NOT_START(`sshd on 127.0.0.1:${port}`, log.join(' | '))
    }
    await sleep(50)
  }
  return { port, user, clientKey: at('client_key'), knownHosts: at('known_hosts'), log, close }
}
