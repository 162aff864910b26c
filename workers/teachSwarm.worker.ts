// Teach mode's swarm: several real SwarmPeers talking over an in-memory network, all in this worker on
// the CPU reference (src/swarm/sim/teach.ts), so one tab on a projector shows a whole swarm. The page
// gets every peer's round results, syncs and errors through a callback; stopping is terminating.
import { expose } from 'comlink'
import { TeachSwarm, type TeachSwarmEvent, type TeachSwarmOptions } from '../src/swarm/sim/teach.ts'

let swarm: TeachSwarm | undefined

const api = {
  /** Loads the corpus, starts the peers, and returns their ids once every peer has begun round 0. */
  async start(
    options: TeachSwarmOptions & { corpusUrl: string },
    onEvent: (e: TeachSwarmEvent) => void,
  ): Promise<string[]> {
    if (swarm) throw new Error('This teach swarm is already running.')
    const res = await fetch(options.corpusUrl)
    if (!res.ok) throw new Error(`could not load the corpus (${res.status} ${res.statusText})`)
    const corpus = new Uint8Array(await res.arrayBuffer())
    swarm = await TeachSwarm.create(corpus, options, (e) => void onEvent(e))
    await swarm.start()
    return swarm.ids
  },
  setCheat(id: string, on: boolean): void {
    if (!swarm) throw new Error('The teach swarm has not started.')
    swarm.setCheat(id, on)
  },
}

expose(api)
export type TeachSwarmWorkerApi = typeof api
