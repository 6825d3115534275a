/**
 * `npx tsx bench/winograd.ts`: the Winograd F(2×2, 3×3) kernels
 * (src/engine/kernels/winograd.ts) against the direct SIMD ones
 * (src/engine/kernels/conv-wasm.ts) at the MNIST CNN's two conv shapes, batch
 * 64: forward, backward (dX + dW + db), and the fused conv → ReLU → max-pool
 * block forward and backward, in ms per batch (median of the timed calls,
 * direct and Winograd alternating),
 * then the float32 error of each path against the float64 TypeScript layer.
 *
 * One JSON line per measurement. Wall-clock on a shared machine: run it a few
 * times and compare medians. WINOGRAD_REPEATS sets the timed calls (15).
 * CNN_LAB_KERNELS=simd runs the base SIMD build (no fused multiply-add).
 */
// First: relaxed SIMD on (Node 20) before the engine compiles its kernels.
import '../src/host/wasm-features'
import { performance } from 'node:perf_hooks'
import { createWasmConv, createWasmConvBlock, type ConvBlockKernel, type ConvKernel } from '../src/engine/kernels/conv-wasm'
import { createWinogradConv, createWinogradConvBlock } from '../src/engine/kernels/winograd'
import { errors, geometry, operands, random, runKernel, runReference, type ConvCase } from '../test/engine/winograd-check'
import { backendKernels, defaultBackend } from '../src/engine/backend'

/** The process's SIMD build (relaxed where the runtime takes it). */
const SIMD = backendKernels(defaultBackend()).simd!

const repeats = Number(process.env.WINOGRAD_REPEATS ?? 15)
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`WINOGRAD_REPEATS must be a positive integer, got ${process.env.WINOGRAD_REPEATS}`)

const shapes: { name: string; c: ConvCase }[] = [
  { name: 'conv1', c: { C: 1, O: 32, H: 28, W: 28, padding: 1, n: 64 } },
  { name: 'conv2', c: { C: 32, O: 64, H: 14, W: 14, padding: 1, n: 64 } },
]

/**
 * Median ms of `repeats` calls of each, after two warm-up calls. The two run
 * alternately, so that another process's load falls on both alike.
 */
function timePair(a: () => void, b: () => void): [number, number] {
  for (const run of [a, b, a, b]) run()
  const samples: [number[], number[]] = [[], []]
  for (let i = 0; i < repeats; i++) {
    for (const [k, run] of [a, b].entries()) {
      const start = performance.now()
      run()
      samples[k].push(performance.now() - start)
    }
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1]
  return [median(samples[0]), median(samples[1])]
}

function print(line: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(line) + '\n')
}

const simd = SIMD
const direct = createWasmConv(SIMD), wino = createWinogradConv(SIMD)
const directBlock = createWasmConvBlock(SIMD), winoBlock = createWinogradConvBlock(SIMD)
if (!simd || !direct || !wino || !directBlock || !winoBlock) throw new Error('WebAssembly SIMD is unavailable: nothing to measure')
print({ build: simd.exports.fusedMultiplyAdd() ? 'relaxed SIMD (fused multiply-add)' : 'base SIMD', repeats })

/** [direct, Winograd] ms for the conv kernels' forward, backward and first-layer backward. */
function timeConv(name: string, c: ConvCase) {
  const g = geometry(c)
  const ops = operands(c)
  const y = new Float32Array(ops.dy.length)
  const dx = new Float32Array(ops.x.length), dw = new Float32Array(ops.w.length), db = new Float32Array(c.O)
  const pair = (run: (kernel: ConvKernel) => void) => timePair(() => run(direct!), () => run(wino!))
  return {
    forward: pair((k) => k.forward(g, c.O, c.n, ops.x, ops.w, ops.bias, y)),
    backward: pair((k) => k.backward(g, c.O, c.n, ops.x, ops.w, ops.dy, dw, db, dx)),
    // What a first layer runs: no input gradient.
    backwardNoDx: name === 'conv1' ? pair((k) => k.backward(g, c.O, c.n, ops.x, ops.w, ops.dy, dw, db, null)) : undefined,
  }
}

/** [direct, Winograd] ms for the fused blocks' forward and backward. */
function timeBlock(c: ConvCase) {
  const g = geometry(c)
  const ops = operands(c)
  const pooled = c.n * c.O * (g.outHeight >> 1) * (g.outWidth >> 1)
  const y = new Float32Array(pooled), win = new Uint8Array(pooled)
  const gy = random(pooled, 99)
  const dx = new Float32Array(ops.x.length), dw = new Float32Array(ops.w.length), db = new Float32Array(c.O)
  // Both backward passes start from the direct block's winners.
  directBlock!.forward(g, c.O, c.n, ops.x, ops.w, ops.bias, y, win)
  const scratchY = new Float32Array(pooled), scratchWin = new Uint8Array(pooled)
  const pair = (run: (kernel: ConvBlockKernel) => void) => timePair(() => run(directBlock!), () => run(winoBlock!))
  return {
    forward: pair((k) => k.forward(g, c.O, c.n, ops.x, ops.w, ops.bias, scratchY, scratchWin)),
    backward: pair((k) => k.backward(g, c.O, c.n, ops.x, ops.w, gy, win, dw, db, dx)),
  }
}

const round = (ms: number) => +ms.toFixed(2)

for (const { name, c } of shapes) {
  const conv = timeConv(name, c), block = timeBlock(c)
  const rows: [string, [number, number] | undefined][] = [
    ['forward', conv.forward],
    ['backward (dX + dW + db)', conv.backward],
    ['backward (dW + db, no dX)', conv.backwardNoDx],
    ['block forward (conv, ReLU, pool)', block.forward],
    ['block backward (dX + dW + db)', block.backward],
  ]
  for (const [what, times] of rows) {
    if (!times) continue
    const [directMs, winoMs] = times
    print({ shape: name, what, unit: 'ms/batch', batch: c.n, direct: round(directMs), winograd: round(winoMs), speedup: +(directMs / winoMs).toFixed(2) })
  }
}

// Float32 error against float64, both paths, on a smaller batch (the float64 layer is slow).
for (const { name, c } of shapes) {
  const small = { ...c, n: 8 }
  const ops = operands(small, 7)
  const ref = runReference(small, ops)
  const fmt = (e: Record<string, number>) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, +v.toPrecision(2)]))
  print({
    shape: name, what: 'max |Δ| / max |float64| (batch 8)',
    direct: fmt(errors(runKernel(direct, small, ops), ref)),
    winograd: fmt(errors(runKernel(wino, small, ops), ref)),
  })
}
