// UPnP IGD: find the home router's Internet Gateway Device with an SSDP search on the
// LAN, read its description for the WAN connection service's control URL, and ask that
// service (SOAP over HTTP) to map a UDP port. Only the router that is this machine's
// gateway is asked: another UPnP device on the LAN cannot map the router's ports.
import b4a from 'b4a'
import { exchange } from './udp-exchange.ts'
import { httpText, parseHttpUrl, type HttpTarget } from './http-text.ts'

const SSDP = { host: '239.255.255.250', port: 1900 }
const SEARCH_TARGET = 'urn:schemas-upnp-org:device:InternetGatewayDevice:1'
// The services that map ports, newest first; WANPPPConnection on DSL routers.
const SERVICES = [
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1'
]
const HTTP_TIMEOUT_MS = 3000

export interface IgdService { control: HttpTarget, serviceType: string }

export function searchMessage (): Uint8Array {
  return b4a.from([
    'M-SEARCH * HTTP/1.1',
    `HOST: ${SSDP.host}:${SSDP.port}`,
    'MAN: "ssdp:discover"',
    'MX: 2',
    `ST: ${SEARCH_TARGET}`,
    '', ''
  ].join('\r\n'))
}

// The LOCATION of an SSDP answer, or null for anything else.
export function readSearchReply (message: Uint8Array): string | null {
  const text = b4a.toString(message, 'utf8')
  if (!/^HTTP\/1\.[01] 200/i.test(text)) return null
  const location = /^location:\s*(\S+)\s*$/im.exec(text)
  return location === null ? null : location[1]
}

function tag (xml: string, name: string): string | null {
  const match = new RegExp(`<(?:[A-Za-z0-9]+:)?${name}>\\s*([^<]*?)\\s*</(?:[A-Za-z0-9]+:)?${name}>`).exec(xml)
  return match === null ? null : match[1]
}

// The first port-mapping service in a device description, its control URL made
// absolute against URLBase or the description's own address.
export function findService (description: string, location: HttpTarget): IgdService | null {
  const services = description.split(/<service>/).slice(1).map((s) => s.split('</service>')[0])
  for (const serviceType of SERVICES) {
    const service = services.find((s) => tag(s, 'serviceType') === serviceType)
    const controlURL = service === undefined ? null : tag(service, 'controlURL')
    if (controlURL === null) continue
    if (/^http:\/\//.test(controlURL)) {
      const control = parseHttpUrl(controlURL)
      if (control !== null) return { control, serviceType }
      continue
    }
    const base = parseHttpUrl(tag(description, 'URLBase') ?? '') ?? location
    return { control: { host: base.host, port: base.port, path: controlURL.startsWith('/') ? controlURL : `/${controlURL}` }, serviceType }
  }
  return null
}

export async function discoverIgd (gateway: string): Promise<IgdService | { reason: string }> {
  const locations = await exchange({
    to: SSDP,
    message: searchMessage(),
    read: (message, from) => from.address === gateway ? readSearchReply(message) : null,
    tries: 2,
    firstWaitMs: 600,
    collect: true
  })
  if (locations.length === 0) return { reason: `no UPnP Internet Gateway Device answered from the router ${gateway}` }
  for (const location of locations) {
    const target = parseHttpUrl(location)
    if (target === null || target.host !== gateway) continue
    const reply = await httpText(target, { method: 'GET', timeoutMs: HTTP_TIMEOUT_MS })
    if ('reason' in reply) return { reason: `the router's UPnP description (${location}) could not be read: ${reply.reason}` }
    const service = findService(reply.body, target)
    if (service !== null) return service
  }
  return { reason: `the router's UPnP device at ${gateway} offers no WAN connection service to map ports` }
}

function escapeXml (value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function soapBody (serviceType: string, action: string, args: Array<[string, string | number]>): string {
  return '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    `<s:Body><u:${action} xmlns:u="${serviceType}">` +
    args.map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`).join('') +
    `</u:${action}></s:Body></s:Envelope>\r\n`
}

export type SoapResult = { ok: true, body: string } | { ok: false, errorCode: number | null, reason: string }

// UPnP's error codes (IGD WANIPConnection §2.4) in words a user can act on.
const UPNP_ERRORS: Record<number, string> = {
  606: 'the router refuses this action (UPnP access control)',
  714: 'the router has no such mapping',
  718: 'another machine on the LAN holds that port on the router',
  724: 'the router maps only the same external and internal port',
  725: 'the router supports only permanent mappings',
  727: 'the router wants no external port given',
  728: 'the router\'s mapping table is full'
}

export async function soap (service: IgdService, action: string, args: Array<[string, string | number]>): Promise<SoapResult> {
  const reply = await httpText(service.control, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset="utf-8"', soapaction: `"${service.serviceType}#${action}"` },
    body: soapBody(service.serviceType, action, args),
    timeoutMs: HTTP_TIMEOUT_MS
  })
  if ('reason' in reply) return { ok: false, errorCode: null, reason: reply.reason }
  if (reply.status === 200) return { ok: true, body: reply.body }
  const code = Number(tag(reply.body, 'errorCode') ?? NaN)
  if (Number.isInteger(code)) return { ok: false, errorCode: code, reason: UPNP_ERRORS[code] ?? `the router refused ${action}: UPnP error ${code} (${tag(reply.body, 'errorDescription') ?? 'no description'})` }
  return { ok: false, errorCode: null, reason: `the router answered ${action} with HTTP ${reply.status}` }
}

export function addPortMappingArgs (opts: { port: number, externalPort: number, localAddress: string, leaseSeconds: number }): Array<[string, string | number]> {
  return [
    ['NewRemoteHost', ''],
    ['NewExternalPort', opts.externalPort],
    ['NewProtocol', 'UDP'],
    ['NewInternalPort', opts.port],
    ['NewInternalClient', opts.localAddress],
    ['NewEnabled', 1],
    ['NewPortMappingDescription', 'roost node (HyperDHT)'],
    ['NewLeaseDuration', opts.leaseSeconds]
  ]
}

export function externalAddressOf (body: string): string | null {
  const address = tag(body, 'NewExternalIPAddress')
  return address !== null && /^\d{1,3}(\.\d{1,3}){3}$/.test(address) ? address : null
}
