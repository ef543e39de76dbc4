// The Wi-Fi file of `roost flash --wifi FILE`: three lines,
//   ssid=Home network
//   psk=the passphrase
//   country=GB
// (# starts a comment line). Like the node's password files it is refused when group or
// others can read it. The passphrase never leaves this module: the card gets the WPA
// pre-shared key derived from it, as Raspberry Pi Imager writes it, and no message
// carries either.
import crypto from 'node:crypto'
import fs from 'node:fs'
import { ProvisionError } from '../errors.ts'

export interface Wifi {
  ssid: string
  // 64 hex digits: PBKDF2-SHA1(passphrase, ssid, 4096 rounds, 32 bytes), the WPA PSK.
  pskHex: string
  // ISO 3166 code, upper case: the regulatory domain.
  country: string
}

const KEYS = ['ssid', 'psk', 'country'] as const

export function readWifiFile (file: string): Wifi {
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch {
    throw ProvisionError.WIFI_FILE(file, 'no such file')
  }
  if (!stat.isFile()) throw ProvisionError.WIFI_FILE(file, 'not a file')
  if ((stat.mode & 0o077) !== 0) throw ProvisionError.WIFI_PERMISSIONS(file, stat.mode)

  const values = new Map<string, string>()
  fs.readFileSync(file, 'utf8').split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '')
    if (line.trim() === '' || line.trimStart().startsWith('#')) return
    const eq = line.indexOf('=')
    const key = (eq < 0 ? line : line.slice(0, eq)).trim()
    // Only the key is named: a line without `=` could be the passphrase itself.
    if (eq < 0) throw ProvisionError.WIFI_FILE(file, `line ${i + 1}: expected KEY=VALUE`)
    if (!(KEYS as readonly string[]).includes(key)) throw ProvisionError.WIFI_FILE(file, `line ${i + 1}: unknown key (known: ${KEYS.join(', ')})`)
    if (values.has(key)) throw ProvisionError.WIFI_FILE(file, `line ${i + 1}: ${key} is given twice`)
    values.set(key, line.slice(eq + 1))
  })
  const missing = KEYS.filter((key) => !values.has(key))
  if (missing.length > 0) throw ProvisionError.WIFI_FILE(file, `missing ${missing.join(', ')}`)

  const ssid = values.get('ssid') ?? ''
  const passphrase = values.get('psk') ?? ''
  const country = (values.get('country') ?? '').trim().toUpperCase()
  const ssidBytes = Buffer.byteLength(ssid)
  if (ssidBytes < 1 || ssidBytes > 32) throw ProvisionError.WIFI_FILE(file, 'ssid: a network name has 1 to 32 bytes')
  if (/[\x00-\x1f\x7f]/.test(ssid)) throw ProvisionError.WIFI_FILE(file, 'ssid: control characters cannot be written into the boot files')
  if (!/^[A-Z]{2}$/.test(country)) throw ProvisionError.WIFI_FILE(file, 'country: expected a two-letter country code such as GB or DE')
  return { ssid, pskHex: wpaPsk(file, passphrase, ssid), country }
}

function wpaPsk (file: string, passphrase: string, ssid: string): string {
  if (/^[0-9a-fA-F]{64}$/.test(passphrase)) return passphrase.toLowerCase()
  // WPA passphrases are 8 to 63 printable ASCII characters (IEEE 802.11i, H.4.1).
  if (!/^[\x20-\x7e]{8,63}$/.test(passphrase)) {
    throw ProvisionError.WIFI_FILE(file, 'psk: a WPA passphrase is 8 to 63 printable ASCII characters, or 64 hex digits')
  }
  return crypto.pbkdf2Sync(passphrase, ssid, 4096, 32, 'sha1').toString('hex')
}
