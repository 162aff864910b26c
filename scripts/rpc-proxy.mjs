// A JSON-RPC pass-through on loopback that can be taken down and brought back on the same port:
// how the tests make "the RPC is down" real (connections refused) without losing the chain's state.
import { createServer } from 'node:http'

export async function startRpcProxy(target, { port = 0 } = {}) {
  let server = null
  const requests = []
  const handler = async (req, res) => {
    // The page calls the RPC cross-origin, like any dapp: answer CORS preflights as anvil does.
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': '*',
      'access-control-allow-methods': 'POST, OPTIONS',
    }
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end()
    const chunks = []
    for await (const c of req) chunks.push(c)
    const body = Buffer.concat(chunks)
    try {
      requests.push(JSON.parse(body.toString()))
    } catch {
      // not JSON: forwarded as is
    }
    try {
      const r = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      res
        .writeHead(r.status, { ...cors, 'content-type': 'application/json' })
        .end(Buffer.from(await r.arrayBuffer()))
    } catch {
      res.writeHead(502, cors).end()
    }
  }
  const listen = () =>
    new Promise((resolve, reject) => {
      server = createServer(handler)
      server.on('error', reject)
      server.listen(port, '127.0.0.1', () => {
        port = server.address().port
        resolve()
      })
    })
  const close = () =>
    new Promise((resolve) => {
      if (!server) return resolve()
      server.closeAllConnections()
      server.close(() => resolve())
      server = null
    })
  await listen()
  return {
    get url() {
      return `http://127.0.0.1:${port}`
    },
    /** Every JSON-RPC request forwarded so far (or batch), in order. */
    requests,
    down: close,
    up: listen,
    stop: close,
  }
}
