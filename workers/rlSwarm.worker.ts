// The RL swarm's compute, off the page: rollouts (every completion of every task), the GRPO update and
// state hashes, on WebGPU or the CPU reference (same bits). The page keeps the libp2p node
// (RTCPeerConnection exists only there) and the RL peer's round loop; like swarm.worker.ts for the
// averaging swarm, this worker holds no protocol state. Checkpoints cross as plain data.
import { expose } from 'comlink'
import { Gpu } from '../src/gpu/runtime.ts'
import { cpuBackend } from '../src/train/cpu.ts'
import { gpuBackend } from '../src/train/gpu.ts'
import type { Backend } from '../src/train/backend.ts'
import type { Checkpoint } from '../src/train/trainer.ts'
import type { GrpoParams, RlCompute, SamplingRule, ScoredGroup, Task } from '../src/rl/types.ts'
import { backendRlCompute } from '../src/rl/compute.ts'
import { generateGroups } from '../src/rl/rollout.ts'
import { taskFromId } from '../src/rl/tasks.ts'
import { carryErrors } from '../src/errors/transfer.ts'
import { NotStartedError } from '../src/errors/worker.ts'

carryErrors()
let compute: RlCompute | undefined
const ready = (): RlCompute => {
  if (!compute) throw new NotStartedError('The RL swarm worker was used before init().')
  return compute
}

const api = {
  /** Picks the backend; peers may mix them, since the kernels match the CPU reference bit for bit. */
  async init(options: { backend: 'gpu' | 'cpu' }) {
    const backend: Backend<unknown> =
      options.backend === 'gpu'
        ? (gpuBackend(await Gpu.create()) as Backend<unknown>)
        : (cpuBackend as Backend<unknown>)
    compute = backendRlCompute(backend, { tasks: taskFromId, generate: generateGroups })
    return { backend: backend.kind }
  },
  rollouts: (model: Checkpoint, tasks: readonly Task[], G: number, rule: SamplingRule) =>
    ready().rollouts(model, tasks, G, rule),
  update: (model: Checkpoint, groups: readonly ScoredGroup[], params: GrpoParams) =>
    ready().update(model, groups, params),
  stateHash: (model: Checkpoint) => ready().stateHash(model),
}

expose(api)
export type RlSwarmWorkerApi = typeof api
