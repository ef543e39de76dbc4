// Node's `url` for bundled code on Bare: the WHATWG URL class Bare has as a global,
// and Node's legacy url.parse(). mqtt.js reads broker URLs with
// `url.parse(brokerUrl, true)`; bare-url's `parse` is WHATWG's URL.parse(input, base),
// which takes that `true` as a base URL, fails, and returns null, so every
// `mqtt.connect('mqtt://…')` threw on Bare. CommonJS because mqtt.js does
// `require('url').default` through TypeScript's __importDefault.

interface LegacyUrl {
  protocol: string | null
  slashes: boolean | null
  auth: string | null
  host: string | null
  port: string | null
  hostname: string | null
  hash: string | null
  search: string | null
  query: string | Record<string, string | string[]> | null
  pathname: string | null
  path: string | null
  href: string
}

// Node's url.parse() for absolute URLs (scheme://…), which is all a broker URL can be.
// Anything else comes back without a protocol, so mqtt.js refuses it ("Missing
// protocol"); Node would read "127.0.0.1:1883" as protocol "127.0.0.1:" instead.
function parse (input: string, parseQueryString = false): LegacyUrl {
  let url: URL | null = null
  try {
    url = new URL(input)
  } catch {}
  if (url === null || !/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    return {
      protocol: null, slashes: null, auth: null, host: null, port: null, hostname: null, hash: null, search: null,
      query: parseQueryString ? {} : null, pathname: input, path: input, href: input
    }
  }
  const auth = url.username || url.password
    ? decodeURIComponent(url.username) + (url.password ? ':' + decodeURIComponent(url.password) : '')
    : null
  const search = url.search || null
  const pathname = url.pathname || null
  const query: Record<string, string | string[]> = {}
  for (const [key, value] of url.searchParams) {
    const known = query[key]
    query[key] = known === undefined ? value : Array.isArray(known) ? [...known, value] : [known, value]
  }
  return {
    protocol: url.protocol,
    slashes: true,
    auth,
    host: url.host,
    port: url.port || null,
    // WHATWG keeps the brackets of an IPv6 host; Node's legacy hostname has none.
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    hash: url.hash || null,
    search,
    query: parseQueryString ? query : search === null ? null : search.slice(1),
    pathname,
    path: pathname === null && search === null ? null : (pathname ?? '') + (search ?? ''),
    href: url.href
  }
}

module.exports = { URL, parse }
