// The relay's /metrics in Prometheus' text format (version 0.0.4), for an operator's Prometheus or a
// plain `curl`: what the relay holds now (gauges) and what it has carried since it started (counters).
import type { RelayMetrics } from '../../scripts/relay.mjs'

const described: [keyof RelayMetrics, string, 'gauge' | 'counter', string][] = [
  ['peers', 'lockstep_relay_peers', 'gauge', 'Peers connected to the relay now.'],
  ['connections', 'lockstep_relay_connections', 'gauge', 'Open connections (a peer can hold several).'],
  ['reservations', 'lockstep_relay_reservations', 'gauge', 'Circuit-relay reservations held now.'],
  ['topics', 'lockstep_relay_gossip_topics', 'gauge', 'Gossip topics the relay forwards.'],
  [
    'relayedConnections',
    'lockstep_relay_circuits_total',
    'counter',
    'Relayed (circuit) connections opened between peers.',
  ],
  [
    'relayedBytes',
    'lockstep_relay_relayed_bytes_total',
    'counter',
    'Bytes carried over relayed connections, both ways, handshakes included.',
  ],
  [
    'gossipMessages',
    'lockstep_relay_gossip_messages_total',
    'counter',
    "Gossip messages received on the swarm's topics.",
  ],
]

export function prometheusText(m: RelayMetrics, startedAt: number, now = Date.now()): string {
  const lines: string[] = []
  const metric = (name: string, type: string, helpText: string, value: number) =>
    lines.push(`# HELP ${name} ${helpText}`, `# TYPE ${name} ${type}`, `${name} ${value}`)
  for (const [key, name, type, helpText] of described) metric(name, type, helpText, m[key])
  metric(
    'lockstep_relay_uptime_seconds',
    'gauge',
    'Seconds since the relay started.',
    (now - startedAt) / 1000,
  )
  return lines.join('\n') + '\n'
}
