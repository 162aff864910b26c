// `lockstep relay`: the swarm's relay as a long-running service. A persistent identity (the same /p2p/
// address after a restart, so built apps and shared links keep working), /metrics for Prometheus and a
// shutdown that closes connections before exiting on SIGINT or SIGTERM.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { startRelay } from '../../scripts/relay.mjs'
import { flag, flags } from './args.ts'
import { prometheusText } from './metrics.ts'
import { RelayStartError, UsageError } from '../errors/cli.ts'

function port(args: string[], name: string, fallback: number): number {
  const v = Number(flag(args, name) ?? fallback)
  if (!Number.isInteger(v) || v < 0 || v > 65535) throw new UsageError(`--${name} must be a port (0–65535)`)
  return v
}

/** The key in `file` (hex of libp2p's protobuf encoding), or undefined if there is none yet. */
function readIdentity(file: string): Uint8Array | undefined {
  if (!existsSync(file)) return undefined
  const text = readFileSync(file, 'utf8').trim()
  if (!/^[0-9a-f]+$/i.test(text))
    throw new RelayStartError(`${file} is not a relay identity (hex of a libp2p key)`)
  return new Uint8Array(Buffer.from(text, 'hex'))
}

function writeIdentity(file: string, key: Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, Buffer.from(key).toString('hex') + '\n', { mode: 0o600 })
  chmodSync(file, 0o600)
}

function serveMetrics(text: () => string, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
      res.end(text())
    } else if (req.method === 'GET' && path === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
    } else res.writeHead(404).end()
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}

export async function relayCommand(args: string[]): Promise<number> {
  const relayPort = port(args, 'port', 9090)
  const host = flag(args, 'host') ?? '127.0.0.1'
  const announce = flags(args, 'announce').flatMap((a) => a.split(','))
  if (announce.some((a) => !a.startsWith('/'))) throw new UsageError('--announce takes a multiaddr (/dns4/…)')
  if (announce.length && relayPort === 0) throw new UsageError('--announce needs a fixed --port')
  const metricsPort = port(args, 'metrics-port', relayPort === 0 ? 0 : relayPort + 1)
  const metricsHost = flag(args, 'metrics-host') ?? '127.0.0.1'
  const identity = flag(args, 'identity') ?? join(homedir(), '.lockstep', 'relay-identity')

  const known = readIdentity(identity)
  const relay = await startRelay({
    port: relayPort,
    host,
    privateKey: known,
    ...(announce.length ? { announce } : {}),
  })
  if (!known) writeIdentity(identity, relay.privateKey)
  const startedAt = Date.now()
  let metrics: Server
  try {
    metrics = await serveMetrics(() => prometheusText(relay.metrics(), startedAt), metricsPort, metricsHost)
  } catch (e) {
    await relay.stop()
    throw new RelayStartError(
      `metrics on ${metricsHost}:${metricsPort}: ${e instanceof Error ? e.message : e}`,
      {
        cause: e,
      },
    )
  }
  const metricsAt = `http://${metricsHost}:${(metrics.address() as AddressInfo).port}/metrics`
  console.log(`relay ${relay.peerId} listening on /ip4/${host}/tcp/${relay.port}/ws`)
  console.log(`identity: ${identity}${known ? '' : ' (new)'}`)
  for (const ma of relay.multiaddrs) console.log(`relay address: ${ma}`)
  console.log(`metrics: ${metricsAt}`)
  console.log('give tabs a relay address: lockstep build-app --relay <address> …, or ?relay=<address>')

  return new Promise((resolve) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) {
        console.error(`${signal} again: exiting now`)
        process.exit(1)
      }
      stopping = true
      console.log(`${signal}: closing connections`)
      metrics.close()
      metrics.closeAllConnections()
      relay.stop().then(
        () => {
          console.log('relay stopped')
          resolve(0)
        },
        (e: unknown) => {
          console.error(`relay did not stop cleanly: ${e instanceof Error ? e.message : e}`)
          resolve(1)
        },
      )
    }
    process.on('SIGINT', () => stop('SIGINT'))
    process.on('SIGTERM', () => stop('SIGTERM'))
  })
}
