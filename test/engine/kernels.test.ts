import { describe, expect, it } from 'vitest'
import { col2im, im2col, type ConvGeometry } from '../../src/engine/kernels/im2col'
import { blockedKernel, naiveKernel, type MatmulKernel } from '../../src/engine/kernels/matmul'
import { createWasmKernel } from '../../src/engine/kernels/gemm-wasm'
import { loadSimdModule } from '../../src/engine/kernels/wasm/simd-module'
import { backendKernels } from '../../src/engine/backend'
import { createLayer } from '../../src/engine/layers'
import { SIMD_WASM_BASE64 } from '../../src/engine/kernels/wasm/simd-binary'
import { buildModuleText } from '../../scripts/build-wasm.mjs'
import { readFileSync } from 'node:fs'

function random(length: number, seed: number, Type: Float32ArrayConstructor | Float64ArrayConstructor = Float64Array) {
  const out = new Type(length)
  let s = seed >>> 0
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = s / 2 ** 32 - 0.5
  }
  return out
}

function check(kernel: MatmulKernel, transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, beta: number, pad = 0) {
  const lda = (transA ? M : K) + pad
  const ldb = (transB ? K : N) + pad
  const ldc = N + pad
  const A = random((transA ? K : M) * lda, 1)
  const B = random((transB ? N : K) * ldb, 2)
  const C0 = random(M * ldc, 3)
  const expected = Float64Array.from(C0)
  const actual = Float64Array.from(C0)
  naiveKernel.gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, expected, ldc)
  kernel.gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, actual, ldc)
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < ldc; j++) {
      const e = expected[i * ldc + j]
      const a = actual[i * ldc + j]
      if (j >= N) {
        // Padding columns of C must not be touched.
        expect(a).toBe(C0[i * ldc + j])
      } else if (Math.abs(a - e) > 1e-12 * (1 + Math.abs(e)) * Math.max(1, K)) {
        throw new Error(`C[${i},${j}] = ${a}, naive ${e} (tA=${transA} tB=${transB} ${M}x${N}x${K})`)
      }
    }
  }
}

describe('blocked GEMM', () => {
  const sizes: [number, number, number][] = [
    [1, 1, 1], [1, 7, 3], [5, 1, 9], [1, 2880, 9], [1, 9, 300], [80, 1, 64], [3, 1, 5], [3, 5, 7], [4, 4, 4], [17, 13, 11], [67, 70, 300], [9, 1030, 5], [130, 6, 260],
  ]
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      it(`matches the triple loop, transA=${transA} transB=${transB}, odd sizes`, () => {
        for (const [M, N, K] of sizes) check(blockedKernel, transA, transB, M, N, K, 1, 0)
      })
    }
  }

  it('applies alpha and beta, and respects leading dimensions wider than the matrix', () => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        check(blockedKernel, transA, transB, 7, 9, 5, 0.5, 1, 3)
        check(blockedKernel, transA, transB, 6, 11, 13, -2, 0.25, 1)
        check(blockedKernel, transA, transB, 5, 5, 5, 1, 1)
        check(blockedKernel, transA, transB, 1, 9, 7, -1.5, 0.5, 2)
        check(blockedKernel, transA, transB, 9, 1, 7, 3, 0.5, 2)
      }
    }
  })

  it('with beta = 0 overwrites C even where it held NaN', () => {
    const A = random(6, 1), B = random(6, 2)
    const C = new Float64Array(4).fill(NaN)
    blockedKernel.gemm(false, false, 2, 2, 3, 1, A, 3, B, 2, 0, C, 2)
    expect(C.every(Number.isFinite)).toBe(true)
  })

  it('works on float32 arrays', () => {
    const A = random(12 * 20, 4, Float32Array)
    const B = random(20 * 9, 5, Float32Array)
    const C = new Float32Array(12 * 9)
    const ref = new Float64Array(12 * 9)
    blockedKernel.gemm(false, false, 12, 9, 20, 1, A, 20, B, 9, 0, C, 9)
    naiveKernel.gemm(false, false, 12, 9, 20, 1, A, 20, B, 9, 0, ref, 9)
    for (let i = 0; i < C.length; i++) expect(C[i]).toBeCloseTo(ref[i], 5)
  })

  it('sums a float64 dot product in order, starting from C (lesson 000 reproduces bit for bit)', () => {
    const K = 300
    const w = random(K, 6), x = random(K, 7)
    let z = 0.125
    for (let k = 0; k < K; k++) z += w[k] * x[k]
    const C = new Float64Array([0.125])
    blockedKernel.gemm(false, true, 1, 1, K, 1, x, K, w, K, 1, C, 1)
    expect(C[0]).toBe(z)
    // The same sum as one cell of a tiled product and as a row of a one-row product.
    const rows = new Float64Array(5 * K).fill(0)
    rows.set(x, 2 * K)
    const tiled = new Float64Array(5 * 2).fill(0.125)
    blockedKernel.gemm(false, true, 5, 2, K, 1, rows, K, Float64Array.from([...w, ...w]), K, 1, tiled, 2)
    expect(tiled[4]).toBe(z)
    const wide = new Float64Array(6).fill(0.125)
    const columns = new Float64Array(K * 6)
    for (let k = 0; k < K; k++) columns[k * 6 + 3] = w[k]
    blockedKernel.gemm(false, false, 1, 6, K, 1, x, K, columns, 6, 1, wide, 6)
    expect(wide[3]).toBe(z)
  })

  it('a layer multiplies with the kernel it was built with (the model\'s backend\'s, no global)', () => {
    const calls: string[] = []
    const spy: MatmulKernel = { name: 'spy', gemm: (...args) => { calls.push('gemm'); naiveKernel.gemm(...args) } }
    const layer = createLayer({ type: 'linear', inFeatures: 1, outFeatures: 1, bias: false }, [1], 'float64', spy)
    ;(layer.params[0].value.data as Float64Array)[0] = 3
    const y = layer.forward({ shape: [1, 1], data: new Float64Array([2]) }, false)
    expect(y.data[0]).toBe(6)
    expect(calls).toEqual(['gemm'])
  })
})

describe('WebAssembly SIMD GEMM', () => {
  // Every product goes through WebAssembly here (no small-product fallback).
  const wasm = createWasmKernel(loadSimdModule(false)!, naiveKernel, 0)
  const sizes: [number, number, number][] = [
    [1, 1, 1], [1, 7, 3], [5, 1, 9], [4, 8, 4], [3, 5, 7], [17, 13, 11], [67, 70, 300], [9, 1030, 5], [130, 6, 700], [129, 515, 333],
  ]

  it("is the simd backend's kernel in Node 20 (WebAssembly SIMD available)", () => {
    expect(backendKernels('simd').gemm.name).toBe('wasm-simd-4x8')
    expect(backendKernels('reference').gemm).toBe(blockedKernel)
  })

  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      it(`float64 is bit-identical to the TypeScript kernel, transA=${transA} transB=${transB}`, () => {
        for (const [M, N, K] of sizes) {
          for (const [alpha, beta, pad] of [[1, 0, 0], [1, 1, 2], [-0.5, 0.25, 1]]) {
            check(wasm, transA, transB, M, N, K, alpha, beta, pad)
            const lda = (transA ? M : K) + pad, ldb = (transB ? K : N) + pad, ldc = N + pad
            const A = random((transA ? K : M) * lda, 8), B = random((transB ? N : K) * ldb, 9)
            const ts = random(M * ldc, 10), fast = Float64Array.from(ts)
            blockedKernel.gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, ts, ldc)
            wasm.gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, fast, ldc)
            expect(fast).toEqual(ts)
          }
        }
      })

      it(`float32 matches the triple loop within float32 rounding, transA=${transA} transB=${transB}`, () => {
        for (const [M, N, K] of sizes) {
          const pad = 1
          const lda = (transA ? M : K) + pad, ldb = (transB ? K : N) + pad, ldc = N + pad
          const A = random((transA ? K : M) * lda, 4, Float32Array), B = random((transB ? N : K) * ldb, 5, Float32Array)
          const C0 = random(M * ldc, 6, Float32Array)
          const C = Float32Array.from(C0), ref = Float64Array.from(C0)
          wasm.gemm(transA, transB, M, N, K, 0.5, A, lda, B, ldb, 0.75, C, ldc)
          naiveKernel.gemm(transA, transB, M, N, K, 0.5, Float64Array.from(A), lda, Float64Array.from(B), ldb, 0.75, ref, ldc)
          for (let i = 0; i < M; i++) for (let j = 0; j < ldc; j++) {
            const k = i * ldc + j
            if (j >= N) expect(C[k]).toBe(C0[k])
            else if (Math.abs(C[k] - ref[k]) > 2e-6 * Math.sqrt(K) * (1 + Math.abs(ref[k]))) {
              throw new Error(`C[${i},${j}] = ${C[k]}, reference ${ref[k]} (${M}x${N}x${K})`)
            }
          }
        }
      })
    }
  }

  it('with beta = 0 overwrites C even where it held NaN', () => {
    const A = random(40 * 30, 1, Float32Array), B = random(30 * 20, 2, Float32Array)
    const C = new Float32Array(40 * 20).fill(NaN)
    wasm.gemm(false, false, 40, 20, 30, 1, A, 30, B, 20, 0, C, 20)
    expect(C.every(Number.isFinite)).toBe(true)
  })

  it('the committed binary is what simd.as compiles to (npm run build:wasm)', async () => {
    const fresh = await buildModuleText('simd')
    expect(readFileSync('src/engine/kernels/wasm/simd-binary.ts', 'utf8')).toBe(fresh)
    expect(SIMD_WASM_BASE64.length).toBeGreaterThan(1000)
  })
})

describe('im2col / col2im', () => {
  const geometries: ConvGeometry[] = [
    { channels: 2, height: 5, width: 6, kernel: 3, stride: 1, padding: 0, outHeight: 3, outWidth: 4 },
    { channels: 1, height: 5, width: 5, kernel: 3, stride: 2, padding: 1, outHeight: 3, outWidth: 3 },
    { channels: 3, height: 4, width: 4, kernel: 3, stride: 1, padding: 1, outHeight: 4, outWidth: 4 },
    { channels: 2, height: 7, width: 6, kernel: 4, stride: 3, padding: 2, outHeight: 3, outWidth: 3 },
    { channels: 1, height: 3, width: 3, kernel: 3, stride: 1, padding: 2, outHeight: 5, outWidth: 5 },
  ]

  it('matches a per-pixel reference for every geometry (padding, stride, kernel wider than padding)', () => {
    for (const g of geometries) {
      const P = g.outHeight * g.outWidth
      const x = random(g.channels * g.height * g.width, 21)
      const cols = new Float64Array(g.channels * g.kernel * g.kernel * P).fill(NaN)
      im2col(g, x, 0, cols, P, 0)
      let row = 0
      for (let c = 0; c < g.channels; c++) for (let ky = 0; ky < g.kernel; ky++) for (let kx = 0; kx < g.kernel; kx++, row++) {
        for (let oy = 0; oy < g.outHeight; oy++) for (let ox = 0; ox < g.outWidth; ox++) {
          const iy = oy * g.stride - g.padding + ky
          const ix = ox * g.stride - g.padding + kx
          const inside = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width
          expect(cols[row * P + oy * g.outWidth + ox]).toBe(inside ? x[(c * g.height + iy) * g.width + ix] : 0)
        }
      }
    }
  })

  it('reads each receptive field, zero outside the image', () => {
    const g = geometries[1]
    const x = Float64Array.from({ length: 25 }, (_, i) => i + 1)
    const cols = new Float64Array(9 * 9)
    im2col(g, x, 0, cols, 9, 0)
    // Row (ky=1, kx=1) is the centre tap: pixels (0,0), (0,2), (0,4), (2,0), …
    expect(Array.from(cols.subarray(4 * 9, 5 * 9))).toEqual([1, 3, 5, 11, 13, 15, 21, 23, 25])
    // Row (ky=0, kx=0) at output (0,0) reads (-1,-1): padding.
    expect(cols[0]).toBe(0)
  })

  it('col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>', () => {
    for (const g of geometries) {
      const rows = g.channels * g.kernel * g.kernel
      const P = g.outHeight * g.outWidth
      const x = random(g.channels * g.height * g.width, 11)
      const c = random(rows * P, 12)
      const cols = new Float64Array(rows * P)
      im2col(g, x, 0, cols, P, 0)
      const back = new Float64Array(x.length)
      col2im(g, c, P, 0, back, 0)
      let left = 0, right = 0
      for (let i = 0; i < cols.length; i++) left += cols[i] * c[i]
      for (let i = 0; i < x.length; i++) right += x[i] * back[i]
      expect(left).toBeCloseTo(right, 12)
    }
  })
})

describe('WebAssembly conv kernel', () => {
  it('matches the TypeScript conv2d layer (forward, dW, db, dX) within float32 rounding', async () => {
    const { Conv2d } = await import('../../src/engine/layers/conv2d')
    const { createWasmConv } = await import('../../src/engine/kernels/conv-wasm')
    const kernel = createWasmConv(loadSimdModule(false)!)
    expect(kernel.name).toBe('wasm-simd-conv')
    for (const [c, o, size, k, stride, padding, n] of [
      [1, 32, 28, 3, 1, 1, 3], [32, 64, 14, 3, 1, 1, 2], [3, 5, 9, 3, 2, 1, 4], [2, 3, 8, 4, 3, 2, 2], [1, 3, 8, 3, 1, 0, 5],
    ]) {
      const spec = { type: 'conv2d' as const, inChannels: c, outChannels: o, kernelSize: k, stride, padding, bias: true }
      const layer = new Conv2d(spec, [c, size, size], 'float32', blockedKernel)
      const w = random(layer.weight.value.data.length, 31, Float32Array), b = random(o, 32, Float32Array)
      layer.weight.value.data.set(w)
      layer.bias!.value.data.set(b)
      const x = { shape: [n, c, size, size], data: random(n * c * size * size, 33, Float32Array) }
      const y = layer.forward(x, true)
      const dy = { shape: y.shape, data: random(y.data.length, 34, Float32Array) }
      const dx = layer.backward(dy)
      const ref = { y: y.data, dx: dx.data, dw: layer.weight.grad.data, db: layer.bias!.grad.data }
      const fast = {
        y: new Float32Array(y.data.length), dx: new Float32Array(dx.data.length),
        dw: new Float32Array(w.length), db: new Float32Array(o),
      }
      kernel.forward(layer.geometry, o, n, x.data as Float32Array, w as Float32Array, b as Float32Array, fast.y)
      kernel.backward(layer.geometry, o, n, x.data as Float32Array, w as Float32Array, dy.data as Float32Array, fast.dw, fast.db, fast.dx)
      for (const key of ['y', 'dx', 'dw', 'db'] as const) {
        const a = fast[key], r = ref[key]
        expect(a.length).toBe(r.length)
        for (let i = 0; i < a.length; i++) {
          if (Math.abs(a[i] - r[i]) > 1e-4 * (1 + Math.abs(r[i]))) throw new Error(`${key}[${i}] = ${a[i]}, reference ${r[i]} (${spec.inChannels}→${spec.outChannels}, ${size}px)`)
        }
      }
    }
  })
})

describe('small-model paths', () => {
  it('float32 ReLU on the bits agrees with max(0, x), gradient included', async () => {
    const { ReLU } = await import('../../src/engine/layers/relu')
    const values = [-2, -0, 0, 1e-40, -1e-40, 3.5, -Infinity, Infinity, 0.25, -0.25]
    const x = { shape: [1, values.length], data: Float32Array.from(values) }
    const relu = new ReLU()
    const y = relu.forward(x, false)
    expect(Array.from(y.data)).toEqual(values.map((v) => (v > 0 ? Math.fround(v) : 0)))
    const g = relu.backward({ shape: x.shape, data: new Float32Array(values.length).fill(7) })
    expect(Array.from(g.data)).toEqual(values.map((v) => (v > 0 ? 7 : 0)))
  })
})
