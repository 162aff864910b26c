// A checked-in WebAssembly module (scripts/wasm.mjs writes its bytes as base64 beside its .wat), compiled
// synchronously: the modules are a few hundred bytes, under every browser's limit for that on the page.

/** The module's exports, or null where this runtime has no WebAssembly (or not the features it uses). */
export function instantiateBase64(base64: string): WebAssembly.Exports | null {
  try {
    const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0))
    if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) return null
    return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports
  } catch {
    return null
  }
}
