import dot4Native from '../../shaders/lib/dot4_native.wgsl?raw'
import dot4Emulated from '../../shaders/lib/dot4_emulated.wgsl?raw'
import softfloat from '../../shaders/lib/softfloat.wgsl?raw'
import softfloatFast from '../../shaders/lib/softfloat_fast.wgsl?raw'
import redoList from '../../shaders/lib/redo_list.wgsl?raw'
import fixed from '../../shaders/lib/fixed.wgsl?raw'
import wide from '../../shaders/lib/wide.wgsl?raw'
import treeSum from '../../shaders/lib/tree_sum.wgsl?raw'
import norm from '../../shaders/lib/norm.wgsl?raw'
import { KernelError } from '../errors/gpu.ts'

export interface PreludeOptions {
  /** Use WGSL's dot4I8Packed (true) or its exact emulation (false). */
  nativeDot4: boolean
  /**
   * Put the row-norm header (shaders/lib/norm.wgsl: bindings, WG, workgroup memory) before the kernel:
   * for layernorm and rmsnorm. Unlike the function libraries it declares the kernel's own names, so it
   * is included whole, not picked by use.
   */
  norm?: boolean
}

/** A kernel's assembled WGSL and the id its pipelines are cached under. */
export interface Shader {
  readonly id: string
  readonly code: string
}

/** One module-scope declaration of a library: its name, its text, the identifiers it names. */
export interface Declaration {
  name: string
  text: string
  uses: Set<string>
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/g
const DECL = /^(?:@\S+\s+)*(fn|struct|const|alias|override|var(?:<[^>]*>)?)\s+([A-Za-z_][A-Za-z0-9_]*)/

function stripComments(wgsl: string): string {
  return wgsl.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '')
}

/**
 * Splits library WGSL into its module-scope declarations (fn, struct, const, alias, override, var), each
 * ending at the `}` or `;` that closes it at depth 0. Comments are dropped; what is left compiles the same.
 */
export function declarations(library: string): Declaration[] {
  const text = stripComments(library)
  const out: Declaration[] = []
  let start = 0
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '{' || c === '(') depth++
    else if (c === '}' || c === ')') depth--
    const ends = depth === 0 && (c === ';' || (c === '}' && !/^\s*;/.test(text.slice(i + 1, i + 3))))
    if (!ends) continue
    const chunk = text.slice(start, i + 1).trim()
    start = i + 1
    const m = DECL.exec(chunk)
    if (!m) continue
    const uses = new Set(chunk.match(IDENT))
    uses.delete(m[2])
    out.push({ name: m[2], text: chunk, uses })
  }
  return out
}

/**
 * The declarations `root` reaches through the identifiers it and they name, in library order. Names the
 * library does not declare (builtins, the kernel's own) are left alone, and so are library names the
 * root declares itself.
 */
export function reachable(root: string, library: readonly Declaration[]): Declaration[] {
  const byName = new Map(library.map((d) => [d.name, d]))
  const own = new Set(declarations(root).map((d) => d.name))
  const seen = new Set<string>()
  const pending = [...(stripComments(root).match(IDENT) ?? [])]
  while (pending.length) {
    const name = pending.pop()!
    if (seen.has(name) || own.has(name)) continue
    seen.add(name)
    const d = byName.get(name)
    if (d) pending.push(...d.uses)
  }
  return library.filter((d) => seen.has(d.name))
}

// The function libraries in the order the old whole prelude had them, parsed once per dot4 flavour.
const libraries = new Map<boolean, Declaration[]>()
function library(nativeDot4: boolean): Declaration[] {
  let l = libraries.get(nativeDot4)
  if (!l) {
    l = declarations(
      [nativeDot4 ? dot4Native : dot4Emulated, wide, softfloat, softfloatFast, redoList, fixed, treeSum].join(
        '\n',
      ),
    )
    libraries.set(nativeDot4, l)
  }
  return l
}

/**
 * A kernel's full WGSL: the shared library functions (shaders/lib/) it calls, directly or through each
 * other, then the kernel itself. The only place shader text is put together; kernels never splice strings
 * of their own, and specialise through pipeline override constants instead.
 */
export function withPrelude(kernel: string, options: PreludeOptions): string {
  const body = options.norm ? `${norm}\n${kernel}` : kernel
  return [...reachable(body, library(options.nativeDot4)).map((d) => d.text), body].join('\n')
}

const built = new Map<string, { kernel: string; shader: Shader }>()

/**
 * The kernel `id`'s WGSL for these options, assembled once and then reused: launchers call this per
 * launch, and the runtime caches pipelines under the returned id (plus entry point and constants).
 */
export function shader(id: string, kernel: string, options: PreludeOptions): Shader {
  const key = `${id}/${options.nativeDot4 ? 'native' : 'emulated'}${options.norm ? '/norm' : ''}`
  const hit = built.get(key)
  if (hit && hit.kernel === kernel) return hit.shader
  if (hit) throw new KernelError(`Two kernels share the shader id ${id}.`)
  const s: Shader = { id: key, code: withPrelude(kernel, options) }
  built.set(key, { kernel, shader: s })
  return s
}
