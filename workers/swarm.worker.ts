// The swarm's compute: training, re-execution checks and evaluation for the round protocol, off the page.
// The page keeps the libp2p node (RTCPeerConnection exists only there) and the protocol's bookkeeping;
// every tensor operation runs here. Checkpoints cross as plain data (structured clone).
import { expose } from 'comlink'
import { Gpu } from '../src/gpu/runtime.ts'
import { cpuBackend } from '../src/train/cpu.ts'
import { gpuBackend } from '../src/train/gpu.ts'
import { backendCompute, type SwarmCompute } from '../src/swarm/protocol/index.ts'
import type { Backend } from '../src/train/backend.ts'
import { decode, encode } from '../src/train/data.ts'
import { Trainer, type Checkpoint } from '../src/train/trainer.ts'
import { fetchCorpus, openCorpus, type Corpus } from '../src/train/corpus.ts'
import { carryErrors } from '../src/errors/transfer.ts'
import { NotStartedError } from '../src/errors/worker.ts'

carryErrors()
let compute: SwarmCompute | undefined
let backend: Backend<unknown> = cpuBackend as Backend<unknown>
const ready = (): SwarmCompute => {
  if (!compute) throw new NotStartedError('The swarm worker was used before init().')
  return compute
}

const api = {
  /** Loads (and checks) the corpus the swarm's parameters name, and picks the backend. */
  async init(options: { corpus: Corpus; corpusUrl: string; backend: 'gpu' | 'cpu' }) {
    const bytes = await fetchCorpus(options.corpus, options.corpusUrl)
    await openCorpus(options.corpus, bytes)
    // Same bits either way (the kernels match the CPU reference), so peers may mix backends.
    if (options.backend === 'gpu') backend = gpuBackend(await Gpu.create()) as Backend<unknown>
    compute = backendCompute(backend, bytes, options.corpus.valFraction)
    return { backend: backend.kind }
  },
  train: (start: Checkpoint, seed: number, steps: number) => ready().train(start, seed, steps),
  initial: (config: Checkpoint['config']) => ready().initial(config),
  evaluate: (model: Checkpoint) => ready().evaluate(model),
  /** `count` bytes of text the model writes after `prompt` (seeded, so every tab shows the same). */
  async sample(model: Checkpoint, prompt: string, count: number): Promise<string> {
    ready()
    const trainer = Trainer.create(backend, model.config, model)
    try {
      return decode(await trainer.sample(new Uint8Array(encode(prompt)), count))
    } finally {
      trainer.dispose()
    }
  },
}

expose(api)
export type SwarmWorkerApi = typeof api
