// Which addresses a verifier must not be made to fetch from: a receipt names its model's URI, and a
// URI on the verifier's own machine or network would turn the verifier into the attacker's client
// (an intranet GET, a local service, a device's admin page). Pure: the page and Node share it.

/** An IPv4 address as a 32-bit number, or null when `s` is not dotted-quad. */
function ipv4(s: string): number | null {
  const parts = s.split('.')
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null
  return parts.reduce((n, p) => n * 256 + Number(p), 0)
}

// Not globally reachable (IANA special-purpose registry): this host, private, shared (CGNAT),
// loopback, link-local, IETF protocol, benchmarking, multicast, reserved and broadcast.
const V4_LOCAL: [number, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
].map(([a, bits]) => [ipv4(a as string)!, bits as number])

function v4IsLocal(n: number): boolean {
  return V4_LOCAL.some(
    ([net, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(net / 2 ** (32 - bits)),
  )
}

/** An IPv6 address as eight 16-bit groups (a trailing dotted IPv4 and a %zone allowed), or null. */
function ipv6(s: string): number[] | null {
  let text = s.replace(/%.*$/, '').toLowerCase()
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (tail) {
    const n = ipv4(tail[1])
    if (n === null) return null
    text = text.slice(0, -tail[1].length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return null
  const groups = (h: string) => (h === '' ? [] : h.split(':'))
  const [head, rest] = [groups(halves[0]), halves.length === 2 ? groups(halves[1]) : []]
  const missing = 8 - head.length - rest.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...rest]
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null
  return all.map((g) => parseInt(g, 16))
}

function v6IsLocal(g: number[]): boolean {
  const v4 = (hi: number, lo: number) => v4IsLocal(hi * 65536 + lo)
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0)
  if (zeros(8)) return true // :: unspecified
  if (zeros(7) && g[7] === 1) return true // ::1 loopback
  if (zeros(5) && g[5] === 0xffff) return v4(g[6], g[7]) // ::ffff:a.b.c.d, IPv4-mapped
  if (zeros(6)) return v4(g[6], g[7]) // ::a.b.c.d, IPv4-compatible (deprecated)
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4(g[6], g[7]) // NAT64
  if (g[0] === 0x2002) return v4(g[1], g[2]) // 6to4 embeds the IPv4 address it tunnels to
  if ((g[0] & 0xfe00) === 0xfc00) return true // fc00::/7 unique local
  if ((g[0] & 0xffc0) === 0xfe80 || (g[0] & 0xffc0) === 0xfec0) return true // link- and site-local
  if ((g[0] & 0xff00) === 0xff00) return true // multicast
  if (g[0] === 0x100 && zeros(4)) return true // 100::/64 discard
  return false
}

/** Whether `ip` (IPv4, or IPv6 in any spelling, brackets allowed) is not a global unicast address. Null when it is no IP at all. */
export function isLocalAddress(ip: string): boolean | null {
  const bare = ip.replace(/^\[(.*)\]$/, '$1')
  const n = ipv4(bare)
  if (n !== null) return v4IsLocal(n)
  const g = bare.includes(':') ? ipv6(bare) : null
  return g === null ? null : v6IsLocal(g)
}

/** Whether a URL's hostname is local by its spelling alone: a local IP literal or a localhost name. */
export function isLocalHostname(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '')
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  return isLocalAddress(host) === true
}
