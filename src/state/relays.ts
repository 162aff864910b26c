// Which relays a tab dials (docs/swarm.md#finding-a-relay): `?relay=` first, then a relay built into the
// app (VITE_RELAY_ADDR), else the relays its swarm lists on the SwarmCoordinator of the configured chain
// (src/chain/config.ts). An empty `?relay=` sets aside a built-in relay and reads the chain.
// On the chain a swarm is its page name (`?swarmName=`, default `lockstep`) for either kind of swarm:
// a relay forwards any topic. A named swarm that lists no relays of its own uses the default swarm's.
import { relayAddrs } from '../swarm/net/config.ts'
import { checkRelayList } from '../swarm/net/chainRelays.ts'
import type { RelayPlan } from '../swarm/net/index.ts'
import { chainConfig } from '../chain/config.ts'
import { publicClient } from '../chain/client.ts'
import { readBootnodes, swarmId } from '../chain/coordinator.ts'
import { RelayUnreachableError } from '../errors/network.ts'
import { DEFAULT_SWARM_NAME } from './swarmParams.ts'

/** The swarm's bootnode list as the chain returns it: untrusted, checked by checkRelayList. */
export type ReadRelays = (swarmName: string) => Promise<readonly unknown[]>

export interface ResolveRelaysOptions {
  /** The built-in relay(s); VITE_RELAY_ADDR unless given. */
  builtIn?: string
  /** Reads a swarm's list; from the configured chain's coordinator unless given (tests). */
  read?: ReadRelays
}

export async function resolveRelays(
  search: string,
  swarmName: string,
  { builtIn = import.meta.env.VITE_RELAY_ADDR, read }: ResolveRelaysOptions = {},
): Promise<RelayPlan> {
  const given = relayAddrs(search, builtIn)
  if (given.length) return { kind: 'given', relays: given }
  const config = chainConfig(search)
  const coordinator = config.swarmCoordinator
  if (!coordinator)
    throw new RelayUnreachableError('no relay configured', {
      details: `chain ${config.chainId} has no swarm coordinator configured to list relays`,
      metaMessages: ['Open the page with ?relay=<multiaddr>, or with ?swarmCoordinator=<address>.'],
      docsPath: 'docs/swarm.md#finding-a-relay',
    })
  read ??= (name) =>
    readBootnodes(publicClient(config), { config, address: coordinator, swarm: swarmId(name) })
  let name = swarmName
  let list = await read(name)
  if (list.length === 0 && name !== DEFAULT_SWARM_NAME) list = await read((name = DEFAULT_SWARM_NAME))
  const { relays, skipped } = checkRelayList(list)
  return {
    kind: 'listed',
    relays,
    skipped,
    source: `swarm "${name}" on SwarmCoordinator ${coordinator} (chain ${config.chainId})`,
  }
}
