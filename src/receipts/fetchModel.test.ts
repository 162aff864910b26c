// fetchModel under hostile servers, with both transports (the page's fetch, the CLI's Node http) and
// small limits so each case ends in well under a second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { checkModelUri, fetchModel, fetchTransport, type Transport } from './fetchModel.ts'
import { nodeTransport } from '../cli/fetchNode.ts'
import {
  FetchTimeoutError,
  LocalAddressError,
  ModelFetchError,
  ModelTooLargeError,
  ModelUriError,
} from '../errors/limits.ts'

const limits = { headersMs: 300, idleMs: 300, totalMs: 1_000, maxBytes: 2 ** 20 }
let sentHuge = 0

/** Paths: /ok, /silent (no answer), /stall (one chunk, then nothing), /trickle, /huge (endless), /404, /away (→ other). */
function hostile(other?: () => string): Server {
  return createServer((req, res) => {
    const path = req.url ?? ''
    if (path === '/ok') return res.end(new Uint8Array(1000).fill(7))
    if (path === '/silent') return
    if (path === '/stall') return res.write('partial')
    if (path === '/trickle') {
      const t = setInterval(() => res.write('x'), 100)
      return res.on('close', () => clearInterval(t))
    }
    if (path === '/huge') {
      // Claims 10 bytes in a header it does not send; streams without end until the client hangs up.
      res.writeHead(200, { 'x-content-length': '10' })
      const chunk = new Uint8Array(64 * 1024)
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) sentHuge += chunk.byteLength
      }
      res.on('drain', pump)
      return pump()
    }
    if (path === '/away' && other) {
      res.writeHead(302, { location: other() + '/ok' })
      return res.end()
    }
    res.writeHead(404).end()
  })
}

const servers: Server[] = []
let base = ''
let otherBase = ''
beforeAll(async () => {
  const listen = async (s: Server) => {
    servers.push(s)
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
  }
  otherBase = await listen(hostile())
  base = await listen(hostile(() => otherBase))
})
afterAll(() => {
  for (const s of servers) {
    s.closeAllConnections()
    s.close()
  }
})

const transports: [string, Transport][] = [
  ['fetch (page)', fetchTransport],
  ['node http (CLI)', nodeTransport(true)],
]

describe('checkModelUri', () => {
  it('refuses every scheme but http(s): no file of the verifier is read, /dev/zero and /dev/stdin included', () => {
    for (const uri of [
      'file:///dev/zero',
      'file:///dev/stdin',
      'file:///etc/passwd',
      'data:,x',
      'ftp://example.com/m',
      'm.onnx',
    ])
      expect(() => checkModelUri(uri), uri).toThrow(ModelUriError)
  })

  it('refuses loopback and private hosts unless allowed, and allows the page its own origin', () => {
    for (const uri of [
      'http://127.0.0.1:1/m',
      'http://localhost/m',
      'http://[::1]/m',
      'http://[::ffff:127.0.0.1]/m',
      'http://192.168.1.1/m',
      'http://169.254.169.254/latest/meta-data',
      'http://2130706433/m',
    ])
      expect(() => checkModelUri(uri), uri).toThrow(LocalAddressError)
    expect(checkModelUri('http://127.0.0.1:1/m', { allowLocal: true }).port).toBe('1')
    expect(checkModelUri('http://127.0.0.1:1/m', { allowOrigin: 'http://127.0.0.1:1' }).port).toBe('1')
    expect(checkModelUri('https://example.com/m.onnx').host).toBe('example.com')
  })
})

describe.each(transports)('fetchModel over %s', (_, transport) => {
  const get = (path: string, extra = {}) =>
    fetchModel(base + path, { allowLocal: true, limits, ...extra }, transport)

  it('reads a model', async () => {
    expect((await get('/ok')).length).toBe(1000)
    await expect(get('/nothing')).rejects.toThrow(ModelFetchError)
  })

  it('refuses a loopback URL without --allow-local, before any connection', async () => {
    await expect(fetchModel(base + '/ok', { limits }, transport)).rejects.toThrow(LocalAddressError)
  })

  it('times out a server that never answers, one that stalls and one that trickles', async () => {
    for (const [path, pattern] of [
      ['/silent', /did not answer within 0.3 s/],
      ['/stall', /sent nothing for 0.3 s/],
      ['/trickle', /took longer than 1 s/],
    ] as const) {
      const t0 = Date.now()
      const err = await get(path).catch((e) => e)
      expect(err, path).toBeInstanceOf(FetchTimeoutError)
      expect(err.message).toMatch(pattern)
      expect(Date.now() - t0).toBeLessThan(1_500)
    }
  })

  it('cuts off a body larger than the cap while it streams', async () => {
    sentHuge = 0
    await expect(get('/huge')).rejects.toThrow(ModelTooLargeError)
    await new Promise((r) => setTimeout(r, 100))
    expect(sentHuge).toBeLessThan(limits.maxBytes * 8) // the server was stopped, not drained
  })
})

describe('redirects', () => {
  it('the CLI checks every hop: a redirect to another local origin is refused', async () => {
    const allowed = { allowOrigin: base, limits }
    await expect(fetchModel(base + '/away', allowed, nodeTransport(false))).rejects.toThrow(LocalAddressError)
    expect((await fetchModel(base + '/away', { allowLocal: true, limits }, nodeTransport(true))).length).toBe(
      1000,
    )
  })

  it('the page refuses redirects (a browser hides where they lead)', async () => {
    await expect(fetchModel(base + '/away', { allowOrigin: base, limits })).rejects.toThrow(ModelFetchError)
  })

  it("the CLI's DNS lookup refuses a name that resolves to a local address, at connect time", async () => {
    const port = new URL(base).port
    const err = await nodeTransport(false)(
      new URL(`http://localhost:${port}/ok`),
      new AbortController().signal,
    ).catch((e) => e)
    expect(err).toBeInstanceOf(LocalAddressError)
    expect(err.message).toMatch(/resolves to (127\.0\.0\.1|::1)/)
  })
})
