// A plain static file server, as a web host is: files from one folder under a path prefix, a MIME type
// by extension, the headers docs/deploy.md asks for, and nothing else (no SPA fallback, no bundler).
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
}

export async function serveStatic(
  root: string,
  prefix: string,
  headers: Record<string, string>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0])
    // As nginx does for a folder asked for without its slash; relative asset URLs need the slash.
    if (path === prefix.replace(/\/$/, '')) return res.writeHead(301, { location: prefix }).end()
    if (!path.startsWith(prefix)) return res.writeHead(404).end()
    let file = normalize(join(root, path.slice(prefix.length)))
    if (!file.startsWith(root)) return res.writeHead(403).end()
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html')
    if (!existsSync(file)) return res.writeHead(404).end()
    res.writeHead(200, { ...headers, 'content-type': types[extname(file)] ?? 'application/octet-stream' })
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
