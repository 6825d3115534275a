/**
 * Import this first in a Node entry point (before anything from src/engine):
 * it switches on V8's relaxed-SIMD support, which Node 20's V8 (11.3) has
 * behind a flag and Node ≥ 22 and Electron ship on. The engine then loads its
 * relaxed-SIMD kernels (fused multiply-add, about twice the float32 GEMM
 * throughput, see madd in src/engine/kernels/wasm/simd.as); without the
 * flag it falls back to the base SIMD build by itself, so this is an
 * optimisation, never a requirement. V8 flags are per process, so worker
 * threads started afterwards inherit it.
 */
import { setFlagsFromString } from 'node:v8'

const [major] = process.versions.node.split('.').map(Number)
if (major < 22) {
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd')
  } catch {
    /* an embedder that refuses the flag: the base build runs */
  }
}
