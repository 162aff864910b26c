// Kernel-library releases: receipts that never stop verifying (docs/receipts.md#kernel-library-releases).
// A receipt names the library that made it by its kernelsHash; a release is a set of output bits
// ("bits/1", "bits/2", …) and the library hashes that computed them. When a change alters an op's bits,
// the next release begins and the old op is kept, frozen (src/ops/frozen/<op>.v<n>.ts, its shader under
// shaders/frozen/; a training kernel under src/kernels/frozen/), so this library still runs every release
// it lists: the registry's ops with the release's frozen ones in their place; unchanged ops are shared.
// Golden vectors (golden.json, checked by golden.test.ts) pin each release's bits on a canonical suite,
// so a change that silently alters an old release fails CI, and a new hash whose suite output equals a
// release's may join it.
import type { Hex } from 'viem'
import { ReleaseNotRunnableError, UnknownReleaseError } from '../errors/receipt.ts'
import type { OnnxOp } from '../ops/onnx.ts'
import type { Backend, OpModule } from '../ops/op.ts'
import { onnxOpSet, type OpSet } from '../ops/registry.ts'
import { KERNEL_LIBRARIES, kernelsHash, type KernelLibrary } from './kernels.ts'
import { Cast } from '../ops/frozen/cast.v1.ts'
import { Reshape, Squeeze, Unsqueeze } from '../ops/frozen/views.v1.ts'

export interface ReleaseDef {
  /** The bits' stable name. */
  id: string
  /** Library hashes (any scheme) that computed these bits; the current release also has this library's own. */
  libraries: readonly KernelLibrary[]
  /** The ops whose bits changed after this release, as they were (src/ops/frozen/), by op_type. */
  frozen?: Readonly<Record<string, OnnxOp>>
  /** The op types this release had, when it is not the current one: a graph with a later op is refused. */
  only?: readonly string[]
  /**
   * The training kernels whose bits changed after this release, as they were (src/kernels/frozen/), by
   * kernel name: its training steps replay on the CPU reference with these in place (trainingBackend).
   */
  kernels?: OpModule['kernels']
  /**
   * Whether this library can replay its training steps at all: with its own training kernels, or the
   * frozen `kernels`. False when bits changed where kernels are not swapped by name (the learning-rate
   * schedule, the clip scale, the state commitment): replay refuses it by name. The golden training steps
   * check every release that says true.
   */
  training: boolean
  /** Known but refused, and why (a release found unsound): its receipts no longer verify, by name. */
  retired?: string
  note: string
}

export interface ReleaseManifest {
  /** The release this library's own code computes: its hash (`library`) names it. */
  current: string
  /** This library's own hash; default kernelsHash() (a test describes another library with it). */
  library?: Hex
  /** This library's op modules' operators; default the registry's (ONNX_OPS). */
  registry?: OpSet
  releases: readonly ReleaseDef[]
}

/**
 * The releases this verifier runs. To change an op's bits: copy its op module's `onnx` entry (and what
 * it imports whose bits change) to src/ops/frozen/, and a changed training kernel's KernelDef to
 * src/kernels/frozen/; add them to the current release's `frozen` / `kernels`, with `only` set to the
 * registry's op types and the last library hash in `libraries`; then add the next release as `current`
 * and record its golden vectors (GOLDEN_WRITE=1, golden.test.ts). Hashes that compute the same bits join
 * a release's `libraries` (kernels/1 and kernels/2 before issue 17 are bits/1's: KERNEL_LIBRARIES).
 */
export const RELEASES: ReleaseManifest = {
  current: 'bits/2',
  releases: [
    {
      id: 'bits/1',
      libraries: KERNEL_LIBRARIES,
      // Issue 18 moved these to onnxruntime's rules (src/ops/frozen/): bits/1's receipts run them as they were.
      frozen: { Cast, Reshape, Unsqueeze, Squeeze },
      only: [
        ...['Abs', 'Add', 'Cast', 'Concat', 'Constant', 'Div', 'Exp', 'Flatten', 'Gather', 'Gelu', 'Gemm'],
        ...[
          'Identity',
          'LayerNormalization',
          'Log',
          'MatMul',
          'Mul',
          'Neg',
          'Pow',
          'ReduceMean',
          'ReduceSum',
        ],
        ...['Relu', 'Reshape', 'Sigmoid', 'Softmax', 'Split', 'Sqrt', 'Squeeze', 'Sub', 'Tanh', 'Transpose'],
        'Unsqueeze',
      ],
      training: true,
      note: 'the bits from issue 16 (kernels/1) to issue 17 as released',
    },
    {
      id: 'bits/2',
      libraries: [
        {
          hash: '0x2b68a62c3ef5187b16e6f185a33a438f4f7834cdfe342a128e44ff5622d7539d',
          scheme: 'kernels/2',
          note: "issue 18 as merged (b861188); issue 19's weighted cross-entropy added kernels and changed no existing bit",
        },
        {
          hash: '0x984d62c56501795bdeba06630508640efdd89bbe5524f731f897cc473073f05b',
          scheme: 'kernels/2',
          note: 'the library as of 67ab599 (2026-12-06), before GELU ran in two passes (softfloat_fast.wgsl); the same bits',
        },
        {
          hash: '0x7a4e82e498349e839206e0d133e8dae3ab871f12d4841c6309bdc4e24854c1de',
          scheme: 'kernels/2',
          note: 'the library as of 066d0e4 (2026-12-06), before fx_div_to_f32 divided by digits; the same bits',
        },
        {
          hash: '0xafdddf46a0c0bfd1dacdea7737262856961879a162870e89e1fd41dc982c9284',
          scheme: 'kernels/2',
          note: 'the library as of 4415c33 (2026-12-06), before the cross-entropy forward ran in two passes; the same bits',
        },
      ],
      training: true,
      note: 'issue 18: Squeeze of an empty axes input squeezes every axis of size 1, Cast of an int64 rounds once to f32, shape and axes inputs must be 1-D; the new ONNX operators',
    },
  ],
}

/** A release resolved from a receipt's kernelsHash: what the verifier runs. */
export interface Release {
  id: string
  /** The hash it was resolved from: what a receipt made with it carries. */
  kernelsHash: Hex
  /** The ONNX operators it runs (runModel's `ops`). */
  ops: OpSet
  /** Whether this verifier can replay its training steps (ReleaseDef.training). */
  training: boolean
  /** Its frozen training kernels, by name (ReleaseDef.kernels): none for the current release. */
  kernels: NonNullable<OpModule['kernels']>
  /** Whether it is this library's own release (its bits are what the registry computes today). */
  current: boolean
  /** "bits/1 (kernels 0x…)", and how the hash was matched. */
  detail: string
}

const opSets = new WeakMap<ReleaseManifest, WeakMap<ReleaseDef, OpSet>>()

/** Built once per release: every verify asks. */
function opsOf(manifest: ReleaseManifest, def: ReleaseDef): OpSet {
  let sets = opSets.get(manifest)
  if (!sets) opSets.set(manifest, (sets = new WeakMap()))
  let ops = sets.get(def)
  if (!ops) sets.set(def, (ops = onnxOpSet(def.frozen, def.only, manifest.registry)))
  return ops
}

/** Why a manifest cannot be right, or null: ids unique, the current one live, each hash in one release. */
export function manifestProblem(manifest: ReleaseManifest): string | null {
  const ids = manifest.releases.map((r) => r.id)
  const twice = ids.find((id, i) => ids.indexOf(id) !== i)
  if (twice) return `release ${twice} is listed twice`
  const current = manifest.releases.find((r) => r.id === manifest.current)
  if (!current || current.retired) return `the current release ${manifest.current} is not a live release`
  const hashes = manifest.releases.flatMap((r) => r.libraries.map((l) => l.hash.toLowerCase()))
  const repeated = hashes.find((h, i) => hashes.indexOf(h) !== i)
  if (repeated) return `kernels ${repeated} is in two releases`
  const own = (manifest.library ?? kernelsHash()).toLowerCase()
  const older = manifest.releases.find(
    (r) => r.id !== manifest.current && r.libraries.some((l) => l.hash.toLowerCase() === own),
  )
  if (older) return `this library's own hash is listed under the older ${older.id}`
  return null
}

/** The release ids this verifier can run, for messages: "bits/1, bits/2 (this library's)". */
export function runnableReleases(manifest: ReleaseManifest = RELEASES): string {
  return manifest.releases
    .filter((r) => !r.retired)
    .map((r) => (r.id === manifest.current ? `${r.id} (this library's)` : r.id))
    .join(', ')
}

/**
 * The release a receipt's kernelsHash names, and the op set to run it with. Throws UnknownReleaseError
 * (naming the releases this verifier runs) for a hash no release lists, ReleaseNotRunnableError for a
 * retired one. The one entry every receipt kind uses.
 *
 * @example
 * const release = resolveRelease(receipt.body.kernelsHash)
 * runModel(model, inputs, limits, { ops: release.ops })
 */
export function resolveRelease(hash: Hex, manifest: ReleaseManifest = RELEASES): Release {
  const local = manifest.library ?? kernelsHash()
  const own = hash.toLowerCase() === local.toLowerCase()
  const def = own
    ? manifest.releases.find((r) => r.id === manifest.current)
    : manifest.releases.find((r) => r.libraries.some((l) => l.hash.toLowerCase() === hash.toLowerCase()))
  if (!def)
    throw new UnknownReleaseError(`Kernel library ${hash} is not a release this verifier can run.`, {
      details: `It runs ${runnableReleases(manifest)}; this library is ${local}.`,
      metaMessages: ['Verify with a Lockstep build that lists that release (docs/receipts.md).'],
      docsPath: 'docs/receipts.md#kernel-library-releases',
    })
  if (def.retired)
    throw new ReleaseNotRunnableError(`Release ${def.id} (kernels ${hash}) is retired: ${def.retired}.`, {
      docsPath: 'docs/receipts.md#kernel-library-releases',
    })
  const current = def.id === manifest.current
  const library = def.libraries.find((l) => l.hash.toLowerCase() === hash.toLowerCase())
  const how = own
    ? "this verifier's own library"
    : `${library!.scheme}: ${library!.note}; ${current ? "the same bits as this verifier's" : 'an older release, run with its frozen ops; this verifier is'} ${local}`
  return {
    id: def.id,
    kernelsHash: hash,
    ops: opsOf(manifest, def),
    training: def.training,
    kernels: def.kernels ?? {},
    current,
    detail: `${def.id} (kernels ${hash}; ${how})`,
  }
}

/** This library's own release: what a producer signs with. */
export function localRelease(manifest: ReleaseManifest = RELEASES): Release {
  return resolveRelease(manifest.library ?? kernelsHash(), manifest)
}

/** A release's training steps, refused by name when this verifier cannot replay them. */
export function requireTraining(release: Release): Release {
  if (!release.training)
    throw new ReleaseNotRunnableError(
      `This verifier cannot run release ${release.id} (kernels ${release.kernelsHash}) for training: its training bits changed where no kernel is kept.`,
      {
        details: 'Its inference receipts still verify.',
        metaMessages: ['Replay with a Lockstep build whose own release it is.'],
        docsPath: 'docs/receipts.md#kernel-library-releases',
      },
    )
  return release
}

/**
 * The backend that replays a release's training steps: `be` itself when the release froze no training
 * kernel; else, on the CPU reference, `be` with the frozen kernels' CPU references in place. A GPU
 * backend with frozen kernels is refused: its launchers, fused steps and resident stepper are this
 * library's (ReleaseNotRunnableError, naming the CPU reference as the way).
 *
 * @example
 * const be = trainingBackend(resolveRelease(receipt.body.kernelsHash), cpuBackend)
 */
export function trainingBackend<T>(release: Release, be: Backend<T>): Backend<T> {
  requireTraining(release)
  const frozen = Object.entries(release.kernels)
  if (!frozen.length) return be
  if (be.kind !== 'cpu')
    throw new ReleaseNotRunnableError(
      `Release ${release.id} replays on the CPU reference only: it keeps frozen training kernels (${frozen.map(([name]) => name).join(', ')}).`,
      { docsPath: 'docs/receipts.md#kernel-library-releases' },
    )
  return { ...be, ...Object.fromEntries(frozen.map(([name, k]) => [name, k!.cpu])) } as Backend<T>
}

/**
 * The `kernels` check: whether this verifier runs the release a receipt names, and in what words.
 * Training receipts also need its training steps (`training`).
 */
export function knownKernels(
  hash: Hex,
  options: { manifest?: ReleaseManifest; training?: boolean } = {},
): { ok: boolean; detail: string; release?: Release } {
  try {
    const release = resolveRelease(hash, options.manifest)
    if (options.training) requireTraining(release)
    return { ok: true, detail: release.detail, release }
  } catch (e) {
    if (e instanceof UnknownReleaseError || e instanceof ReleaseNotRunnableError)
      return { ok: false, detail: `${e.shortMessage} ${e.details ?? ''}`.trim() }
    throw e
  }
}
