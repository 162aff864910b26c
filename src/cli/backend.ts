// The backend the CLI computes on: the CPU reference by default, the GPU through Dawn (the optional
// `webgpu` package) with --gpu. Both give the same bits; --gpu is about speed and about checking a GPU.
import { loadDawn } from '../gpu/dawn.ts'
import { Gpu } from '../gpu/runtime.ts'
import type { Backend } from '../train/backend.ts'
import { cpuBackend } from '../train/cpu.ts'
import { gpuBackend } from '../train/gpu.ts'
import { DawnUnavailableError } from '../errors/cli.ts'

export interface CliBackend {
  be: Backend<unknown>
  name: string
  /** The GPU runtime behind `be`, with --gpu (the ONNX runtime's GPU kernels run on it). */
  gpu?: Gpu
  dispose(): void
}

export async function cliBackend(args: string[]): Promise<CliBackend> {
  if (!args.includes('--gpu'))
    return { be: cpuBackend as Backend<unknown>, name: 'CPU reference', dispose() {} }
  let gpu: GPU
  try {
    gpu = await loadDawn()
  } catch (e) {
    throw new DawnUnavailableError(
      `--gpu needs the optional 'webgpu' package (Dawn), which did not load: ${e instanceof Error ? e.message : e}`,
      { cause: e },
    )
  }
  const adapter = await gpu.requestAdapter()
  if (!adapter)
    throw new DawnUnavailableError(
      'Dawn found no GPU adapter. Without a GPU, point Vulkan at a software driver (VK_ICD_FILENAMES, see docs/receipts.md) or drop --gpu.',
    )
  const runtime = await Gpu.create({ gpu })
  const info = adapter.info
  const name = `GPU via Dawn (${[info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter'})`
  return { be: gpuBackend(runtime) as Backend<unknown>, name, gpu: runtime, dispose: () => runtime.destroy() }
}
