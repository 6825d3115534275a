import { beforeAll, describe, expect, it } from 'vitest'
import edgesFixture from '../fixtures/edges.json'
import { DatasetSpec } from '../../src/shared/experiment'
import { deriveSeed, Rng } from '../../src/engine/rng'
import { shiftDataset, shiftImage } from '../../src/engine/datasets/shift'
import { EDGE_CLASSES, makeEdges } from '../../src/engine/datasets/edges'
import { makePatterns, patternTemplate, type PatternsSpec } from '../../src/engine/datasets/patterns'
import { makeMnist, mnistPoolSize, type MnistSource } from '../../src/engine/datasets/mnist'
import { buildDatasets, datasetInfo } from '../../src/engine/datasets/index'
import { loadMnistSource } from '../../src/host/mnist-source'
import type { Dataset } from '../../src/engine/datasets/dataset'

function counts(y: Int32Array, classes: number): number[] {
  const c = new Array<number>(classes).fill(0)
  for (const v of y) c[v]++
  return c
}

/** Fast exact comparison; vitest's deep equality is slow on big typed arrays. */
function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function image(ds: Dataset, i: number): Float32Array {
  const size = ds.x.shape[1] * ds.x.shape[2] * ds.x.shape[3]
  return ds.x.data.subarray(i * size, (i + 1) * size) as Float32Array
}

// ── Rng ───────────────────────────────────────────────────────────────────

describe('Rng', () => {
  it('is deterministic by seed and differs between seeds', () => {
    const a = new Rng(42)
    const b = new Rng(42)
    const c = new Rng(43)
    const sa = Array.from({ length: 10 }, () => a.next())
    expect(Array.from({ length: 10 }, () => b.next())).toEqual(sa)
    expect(Array.from({ length: 10 }, () => c.next())).not.toEqual(sa)
  })

  it('next() is in [0, 1) with mean ½, int(n) covers [0, n) evenly', () => {
    const r = new Rng(1)
    let sum = 0
    const hist = new Array<number>(7).fill(0)
    for (let i = 0; i < 70_000; i++) {
      const u = r.next()
      if (!(u >= 0 && u < 1)) throw new Error(`next() gave ${u}`)
      sum += u
      hist[r.int(7)]++
    }
    expect(sum / 70_000).toBeCloseTo(0.5, 2)
    for (const h of hist) expect(Math.abs(h - 10_000)).toBeLessThan(400)
  })

  it('normal() has mean 0 and variance 1', () => {
    const r = new Rng(2)
    let s = 0
    let s2 = 0
    const n = 100_000
    for (let i = 0; i < n; i++) {
      const z = r.normal()
      s += z
      s2 += z * z
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02)
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.02)
  })

  it('shuffle() permutes arrays and typed arrays the same way', () => {
    const plain = Array.from({ length: 50 }, (_, i) => i)
    const typed = Int32Array.from(plain)
    new Rng(5).shuffle(plain)
    new Rng(5).shuffle(typed)
    expect(Array.from(typed)).toEqual(plain)
    expect([...plain].sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(plain).not.toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('deriveSeed gives stable, distinct seeds per purpose and per seed', () => {
    const purposes = ['data', 'init', 'shuffle', 'dropout', 'patterns', 'mnist-split', 'mnist-shift']
    const seen = new Set<number>()
    for (const seed of [0, 1, 2, 7, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3]) {
      for (const p of purposes) {
        const d = deriveSeed(seed, p)
        expect(Number.isInteger(d) && d >= 0 && d < 2 ** 32).toBe(true)
        expect(deriveSeed(seed, p)).toBe(d)
        seen.add(d)
      }
    }
    expect(seen.size).toBe(7 * purposes.length)
    expect(() => deriveSeed(-1, 'data')).toThrow(RangeError)
  })
})

// ── shift ─────────────────────────────────────────────────────────────────

describe('shiftImage', () => {
  // 2 channels of 3×4, values distinct so every move is visible.
  const C = 2
  const H = 3
  const W = 4
  const src = Float32Array.from({ length: C * H * W }, (_, i) => i + 1)
  const at = (a: Float32Array, c: number, y: number, x: number) => a[c * H * W + y * W + x]
  const shifted = (dx: number, dy: number, from = src) => {
    const dst = new Float32Array(from.length).fill(NaN)
    shiftImage(from, dst, C, H, W, dx, dy)
    return dst
  }

  it('shift by (0, 0) is the identity', () => {
    expect(shifted(0, 0)).toEqual(src)
  })

  it('positive dx moves content right, positive dy moves it down, zero fill', () => {
    for (const [dx, dy] of [[1, 0], [0, 1], [-1, 0], [0, -1], [2, -1], [-3, 2]]) {
      const out = shifted(dx, dy)
      for (let c = 0; c < C; c++) {
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const sy = y - dy
            const sx = x - dx
            const inside = sy >= 0 && sy < H && sx >= 0 && sx < W
            expect(at(out, c, y, x)).toBe(inside ? at(src, c, sy, sx) : 0)
          }
        }
      }
    }
    expect(at(shifted(1, 0), 0, 0, 1)).toBe(at(src, 0, 0, 0))
    expect(at(shifted(0, 1), 0, 1, 0)).toBe(at(src, 0, 0, 0))
  })

  it('shifting by the whole size or more leaves zeros', () => {
    expect(shifted(W, 0).every((v) => v === 0)).toBe(true)
    expect(shifted(0, -H - 2).every((v) => v === 0)).toBe(true)
  })

  it('composes: shift(a) then shift(b) equals shift(a + b) when nothing falls off', () => {
    // A single lit pixel in the middle of a larger image never reaches the border.
    const size = 9
    const one = new Float32Array(size * size)
    one[4 * size + 4] = 1
    const step = (img: Float32Array, dx: number, dy: number) => {
      const out = new Float32Array(img.length)
      shiftImage(img, out, 1, size, size, dx, dy)
      return out
    }
    expect(step(step(one, 2, -1), -3, 2)).toEqual(step(one, -1, 1))
    expect(step(step(one, 3, 3), -3, -3)).toEqual(one)
  })

  it('reads and writes at offsets inside batches', () => {
    const batch = new Float32Array(3 * C * H * W)
    batch.set(src, C * H * W)
    const out = new Float32Array(batch.length).fill(7)
    shiftImage(batch, out, C, H, W, 1, 1, C * H * W, 2 * C * H * W)
    expect(out.subarray(2 * C * H * W)).toEqual(shifted(1, 1))
    expect(out.subarray(0, 2 * C * H * W).every((v) => v === 7)).toBe(true)
  })

  it('shiftDataset shifts every image and keeps labels and classes', () => {
    const ds = makeEdges(6, 3)
    const moved = shiftDataset(ds, 1, 0)
    expect(moved.x.shape).toEqual(ds.x.shape)
    expect(Array.from(moved.y)).toEqual(Array.from(ds.y))
    expect(moved.classes).toEqual(ds.classes)
    for (let i = 0; i < 6; i++) expect(image(moved, i)).toEqual(shifted1(image(ds, i)))
    function shifted1(img: Float32Array) {
      const out = new Float32Array(img.length)
      shiftImage(img, out, 1, 8, 8, 1, 0)
      return out
    }
    expect(shiftDataset(ds, 0, 0).x.data).toEqual(ds.x.data)
  })
})

// ── edges (lesson 000) ────────────────────────────────────────────────────

describe('makeEdges', () => {
  it.each(edgesFixture.sets.map((s) => [s.count, s.seed, s] as const))(
    'matches CPython for (%i, seed %i)',
    (count, seed, fx) => {
      const ds = makeEdges(count, seed, fx.size)
      expect(ds.x.shape).toEqual([count, 1, fx.size, fx.size])
      expect(Array.from(ds.y)).toEqual(fx.labels)
      expect(Array.from(ds.x.data)).toEqual(fx.images.flat())
    },
  )

  it('alternates edge/noise, lights exactly size pixels, and never uses the outer columns for edges', () => {
    const ds = makeEdges(100, 12, 8)
    expect(ds.classes).toEqual(EDGE_CLASSES)
    expect(counts(ds.y, 2)).toEqual([50, 50])
    for (let i = 0; i < 100; i++) {
      const img = image(ds, i)
      expect(ds.y[i]).toBe(i % 2 === 0 ? 1 : 0)
      expect(img.reduce((s, v) => s + v, 0)).toBe(8)
      expect(img.every((v) => v === 0 || v === 1)).toBe(true)
      if (ds.y[i] === 1) {
        expect(img[0]).toBe(0)
        expect(img[7]).toBe(0)
      }
    }
  })

  it('works for other sizes', () => {
    const ds = makeEdges(10, 0, 12)
    expect(ds.x.shape).toEqual([10, 1, 12, 12])
    expect(image(ds, 1).reduce((s, v) => s + v, 0)).toBe(12)
  })
})

// ── patterns (lesson 001) ─────────────────────────────────────────────────

const patternsSpec = (over: Partial<Record<string, unknown>> = {}): PatternsSpec =>
  DatasetSpec.parse({
    kind: 'patterns',
    classes: ['vertical', 'horizontal', 'diagonal', 'dot', 'cross'],
    train: { count: 60, seed: 7 },
    val: { count: 30, seed: 8 },
    ...over,
  }) as PatternsSpec

describe('patterns', () => {
  it('templates: bars on the two centre rows/columns, soft diagonal, 2×2 dot, clipped cross', () => {
    const s = 8
    const v = patternTemplate('vertical', s)
    const h = patternTemplate('horizontal', s)
    const d = patternTemplate('diagonal', s)
    const dot = patternTemplate('dot', s)
    const cross = patternTemplate('cross', s)
    for (let r = 0; r < s; r++) {
      for (let c = 0; c < s; c++) {
        const i = r * s + c
        expect(v[i]).toBe(c === 3 || c === 4 ? 1 : 0)
        expect(h[i]).toBe(r === 3 || r === 4 ? 1 : 0)
        expect(d[i]).toBeCloseTo(r === c ? 1 : Math.abs(r - c) === 1 ? 0.35 : 0, 6)
        expect(dot[i]).toBe((r === 3 || r === 4) && (c === 3 || c === 4) ? 1 : 0)
        expect(cross[i]).toBe(Math.max(v[i], h[i]))
      }
    }
  })

  it('has count per class, interleaved, values in [0, 1], right shape', () => {
    const spec = patternsSpec()
    const train = makePatterns(spec, 'train')
    const val = makePatterns(spec, 'val')
    expect(train.x.shape).toEqual([300, 1, 8, 8])
    expect(val.x.shape).toEqual([150, 1, 8, 8])
    expect(counts(train.y, 5)).toEqual([60, 60, 60, 60, 60])
    expect(counts(val.y, 5)).toEqual([30, 30, 30, 30, 30])
    expect(train.classes).toEqual(spec.classes)
    expect(train.x.data.every((x) => x >= 0 && x <= 1)).toBe(true)
    // Shuffled: the first 60 labels are not all one class.
    expect(new Set(train.y.subarray(0, 60)).size).toBeGreaterThan(1)
  })

  it('is deterministic by seed and differs between seeds', () => {
    const a = makePatterns(patternsSpec(), 'train')
    const b = makePatterns(patternsSpec(), 'train')
    const c = makePatterns(patternsSpec({ train: { count: 60, seed: 9 } }), 'train')
    expect(same(b.x.data, a.x.data)).toBe(true)
    expect(same(b.y, a.y)).toBe(true)
    expect(same(c.x.data, a.x.data)).toBe(false)
  })

  it('without noise, shift or brightness change every image is its clean template', () => {
    const spec = patternsSpec({ noise: 0, maxShift: 0, brightness: [1, 1], classes: ['vertical', 'dot'] })
    const ds = makePatterns(spec, 'val')
    for (let i = 0; i < ds.y.length; i++) {
      expect(image(ds, i)).toEqual(patternTemplate(spec.classes[ds.y[i]], 8))
    }
  })

  it('shifts stay within maxShift: a noiseless vertical bar lands on columns 2..5 for maxShift 1', () => {
    const spec = patternsSpec({ noise: 0, maxShift: 1, brightness: [1, 1], classes: ['vertical', 'horizontal'] })
    const ds = makePatterns(spec, 'train')
    const seen = new Set<number>()
    for (let i = 0; i < ds.y.length; i++) {
      if (ds.y[i] !== 0) continue
      const img = image(ds, i)
      const lit = [...Array(8).keys()].filter((c) => img[2 * 8 + c] === 1)
      expect(lit.length).toBe(2)
      expect(lit[1] - lit[0]).toBe(1)
      seen.add(lit[0] - 3)
    }
    expect([...seen].sort()).toEqual([-1, 0, 1])
  })

  it('brightness and noise have the asked size', () => {
    const spec = patternsSpec({ noise: 0, maxShift: 0, brightness: [0.5, 0.6], classes: ['dot', 'cross'] })
    const ds = makePatterns(spec, 'train')
    const max = Math.max(...ds.x.data)
    expect(max).toBeGreaterThanOrEqual(0.5)
    expect(max).toBeLessThanOrEqual(0.6)
    // Pure noise around zero: half the pixels clip to 0, the rest spread with σ ≈ noise.
    const noisy = makePatterns(patternsSpec({ noise: 0.12, brightness: [0, 0], classes: ['dot', 'cross'] }), 'train')
    const d = Array.from(noisy.x.data)
    const zeros = d.filter((v) => v === 0).length / d.length
    expect(zeros).toBeGreaterThan(0.45)
    expect(zeros).toBeLessThan(0.55)
    const positive = d.filter((v) => v > 0)
    const meanPositive = positive.reduce((s, v) => s + v, 0) / positive.length
    // E|Z|·σ for a half-normal: σ·√(2/π) ≈ 0.0957.
    expect(meanPositive).toBeCloseTo(0.12 * Math.sqrt(2 / Math.PI), 2)
  })
})

// ── mnist ─────────────────────────────────────────────────────────────────

describe('mnist', () => {
  let source: MnistSource
  let loadMs = 0
  beforeAll(() => {
    const t0 = performance.now()
    source = loadMnistSource()
    loadMs = performance.now() - t0
  })

  const mnistSpec = (over: Partial<Record<string, unknown>> = {}) =>
    DatasetSpec.parse({ kind: 'mnist', train: { count: 2000, seed: 1 }, val: { count: 500, seed: 2 }, ...over }) as Extract<
      DatasetSpec,
      { kind: 'mnist' }
    >

  it('loads 10,000 images in [0, 1], and caches them', () => {
    expect(source.digits).toHaveLength(10)
    expect(mnistPoolSize(source)).toBe(10_000)
    for (const d of source.digits) expect(d.every((v) => v >= 0 && v <= 1)).toBe(true)
    // Not blank: each digit class has ink.
    for (const d of source.digits) expect(d.some((v) => v > 0.5)).toBe(true)
    expect(loadMnistSource()).toBe(source)
    console.info(`MNIST load: ${loadMs.toFixed(0)} ms`)
  })

  it('splits into disjoint train and val of the asked sizes, all ten digits present', () => {
    const { train, val } = makeMnist(mnistSpec(), source)
    expect(train.x.shape).toEqual([2000, 1, 28, 28])
    expect(val.x.shape).toEqual([500, 1, 28, 28])
    expect(train.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    for (const c of counts(train.y, 10)) expect(c).toBeGreaterThan(120)
    // Disjoint: no val image equals a train image (keyed by full pixel content).
    const key = (img: Float32Array) => Array.from(img).join(',')
    const trainKeys = new Set(Array.from({ length: 2000 }, (_, i) => key(image(train, i))))
    let shared = 0
    for (let i = 0; i < 500; i++) if (trainKeys.has(key(image(val, i)))) shared++
    expect(shared).toBeLessThan(3) // MNIST itself holds a few exact duplicates
  })

  it('labels match the source digit of each image', () => {
    const { train } = makeMnist(mnistSpec({ train: { count: 50, seed: 4 } }), source)
    for (let i = 0; i < 50; i++) {
      const d = source.digits[train.y[i]]
      const img = image(train, i)
      let found = false
      for (let k = 0; k < d.length / 784 && !found; k++) {
        found = img.every((v, p) => v === d[k * 784 + p])
      }
      expect(found).toBe(true)
    }
  })

  it('is deterministic by seed; the split depends on train.seed only', () => {
    const a = makeMnist(mnistSpec(), source)
    const b = makeMnist(mnistSpec({ val: { count: 500, seed: 99 } }), source)
    const c = makeMnist(mnistSpec({ train: { count: 2000, seed: 3 } }), source)
    expect(same(b.train.x.data, a.train.x.data)).toBe(true)
    expect(same(b.val.y, a.val.y)).toBe(true)
    expect(same(c.train.y, a.train.y)).toBe(false)
  })

  it('valShift moves every val image by 1..valShift pixels and leaves train alone', () => {
    const centred = makeMnist(mnistSpec(), source)
    const moved = makeMnist(mnistSpec({ valShift: 2 }), source)
    expect(same(moved.train.x.data, centred.train.x.data)).toBe(true)
    expect(same(moved.val.y, centred.val.y)).toBe(true)
    const out = new Float32Array(784)
    for (let i = 0; i < 500; i++) {
      const a = image(centred.val, i)
      const b = image(moved.val, i)
      expect(same(a, b)).toBe(false)
      // Some shift with 1 ≤ max(|dx|,|dy|) ≤ 2 reproduces it exactly.
      let match = false
      for (let dy = -2; dy <= 2 && !match; dy++) {
        for (let dx = -2; dx <= 2 && !match; dx++) {
          if (dx === 0 && dy === 0) continue
          shiftImage(a, out, 1, 28, 28, dx, dy)
          match = out.every((v, p) => v === b[p])
        }
      }
      expect(match).toBe(true)
    }
  })

  it('refuses splits larger than the pool', () => {
    expect(() => makeMnist(mnistSpec({ train: { count: 9000, seed: 1 }, val: { count: 2000, seed: 2 } }), source)).toThrow(/10000 images/)
  })
})

// ── index ─────────────────────────────────────────────────────────────────

describe('buildDatasets / datasetInfo', () => {
  it('builds edges from the split seeds and describes them', () => {
    const spec = DatasetSpec.parse({ kind: 'edges', train: { count: 80, seed: 1 }, val: { count: 40, seed: 29 } })
    const { train, val } = buildDatasets(spec, {})
    expect(Array.from(train.x.data)).toEqual(edgesFixture.sets[0].images.flat())
    expect(Array.from(val.x.data)).toEqual(edgesFixture.sets[1].images.flat())
    expect(datasetInfo(spec)).toEqual({ inputShape: [1, 8, 8], classes: ['noise', 'edge'] })
  })

  it('describes patterns and mnist without generating', () => {
    expect(datasetInfo(patternsSpec({ size: 10, classes: ['dot', 'vertical'] }))).toEqual({ inputShape: [1, 10, 10], classes: ['dot', 'vertical'] })
    const mnist = DatasetSpec.parse({ kind: 'mnist', train: { count: 10, seed: 1 }, val: { count: 10, seed: 2 } })
    expect(datasetInfo(mnist).inputShape).toEqual([1, 28, 28])
    expect(datasetInfo(mnist).classes).toHaveLength(10)
  })

  it('says clearly when MNIST is asked for without a source', () => {
    const mnist = DatasetSpec.parse({ kind: 'mnist', train: { count: 10, seed: 1 }, val: { count: 10, seed: 2 } })
    expect(() => buildDatasets(mnist, {})).toThrow(/no MNIST images were provided/)
  })

  it('builds patterns through the same path', () => {
    const { train, val } = buildDatasets(patternsSpec(), {})
    expect(train.y.length).toBe(300)
    expect(val.y.length).toBe(150)
  })
})
