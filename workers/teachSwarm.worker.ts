// Teach mode's swarm: several real SwarmPeers talking over an in-memory network, all in this worker on
// the CPU reference (src/swarm/sim/teach.ts), so one tab on a projector shows a whole swarm. The page
// gets every peer's round results, syncs and errors through a callback; stopping is terminating.
import { expose } from 'comlink'
import { TeachSwarm, type TeachSwarmEvent, type TeachSwarmOptions } from '../src/swarm/sim/teach.ts'
import { carryErrors } from '../src/errors/transfer.ts'
import { AlreadyStartedError, NotStartedError } from '../src/errors/worker.ts'
import { fetchCorpus, openCorpus, type Corpus } from '../src/train/corpus.ts'

carryErrors()

let swarm: TeachSwarm | undefined

const api = {
  /** Loads the corpus, starts the peers, and returns their ids once every peer has begun round 0. */
  async start(
    options: TeachSwarmOptions & { corpus: Corpus; corpusUrl: string },
    onEvent: (e: TeachSwarmEvent) => void,
  ): Promise<string[]> {
    if (swarm) throw new AlreadyStartedError('This teach swarm is already running.')
    const corpus = await fetchCorpus(options.corpus, options.corpusUrl)
    await openCorpus(options.corpus, corpus) // the sim's swarm parameters name the shipped corpus
    swarm = await TeachSwarm.create(corpus, options, (e) => void onEvent(e))
    await swarm.start()
    return swarm.ids
  },
  setCheat(id: string, on: boolean): void {
    if (!swarm) throw new NotStartedError('The teach swarm has not started.')
    swarm.setCheat(id, on)
  },
}

expose(api)
export type TeachSwarmWorkerApi = typeof api
