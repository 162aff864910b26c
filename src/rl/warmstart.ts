// What scripts/rl-warmstart.mjs runs in Node (bundled by Vite): writes the task corpus and, after
// `lockstep train` has trained on it, describes the checkpoint (public/rl/warmstart.json): its hashes
// and its greedy accuracy per family and level on tasks drawn apart from the corpus.
import { readFileSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { pathToFileURL } from 'node:url'
import { decodeCheckpoint } from '../swarm/protocol/codec.ts'
import { cpuBackend } from '../train/cpu.ts'
import { Trainer } from '../train/trainer.ts'
import { sha256Hex } from '../util/hash.ts'
import { accuracyTable, heldOutTasks, sampledRewards } from './accuracy.ts'
import { CORPUS_TASKS, taskCorpus } from './corpus.ts'
import { RL_TRAIN } from './model.ts'

// Only as the entry point: importing this file (the exports snapshot does) runs nothing.
const main = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
const [command, ...args] = main ? process.argv.slice(2) : []
if (!main) {
  // imported, not run
} else if (command === 'steps') {
  console.log(RL_TRAIN.steps)
} else if (command === 'corpus') {
  writeFileSync(args[0], taskCorpus())
  console.log(`wrote ${args[0]}`)
} else if (command === 'describe') {
  const [checkpointFile, corpusFile, out, perCell] = args
  const bytes = new Uint8Array(readFileSync(checkpointFile))
  const corpus = new Uint8Array(readFileSync(corpusFile))
  const checkpoint = decodeCheckpoint(bytes, 64 << 20)
  const trainer = Trainer.create(cpuBackend, checkpoint.config, checkpoint)
  const stateHash = await trainer.stateHash()
  const accuracy = await accuracyTable(trainer, stateHash, Number(perCell))
  const perTask = await sampledRewards(trainer, stateHash, heldOutTasks(), 4)
  const meanReward = perTask.reduce((a, b) => a + b, 0) / (perTask.length * 4)
  const description = {
    checkpoint: { file: basename(checkpointFile), bytes: bytes.length, sha256: await sha256Hex(bytes) },
    stateHash,
    step: checkpoint.step,
    corpus: {
      file: basename(corpusFile),
      bytes: corpus.length,
      sha256: await sha256Hex(corpus),
      tasks: CORPUS_TASKS,
    },
    receipt: 'warmstart.receipt.json',
    accuracy: {
      note: '[correct, total] per level 1..4, greedy, fresh tasks (src/rl/accuracy.ts)',
      ...accuracy,
    },
    reward: {
      note: 'mean reward in thousandths of G sampled completions of each held-out task, and each task’s sum (src/rl/accuracy.ts)',
      G: 4,
      mean: meanReward,
      perTask,
    },
  }
  writeFileSync(out, JSON.stringify(description, null, 2) + '\n')
  console.log(
    `wrote ${out}; mean sampled reward ${meanReward.toFixed(1)} on ${perTask.length} held-out tasks`,
  )
  console.log('greedy accuracy on fresh tasks, correct/total at levels 1..4:')
  for (const [family, cells] of Object.entries(accuracy))
    console.log(`  ${family.padEnd(8)} ${cells.map(([c, t]) => `${c}/${t}`.padStart(7)).join('')}`)
} else {
  console.error('usage: warmstart.js steps | corpus FILE | describe CHECKPOINT CORPUS OUT PER_CELL')
  process.exitCode = 2
}
