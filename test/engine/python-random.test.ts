import { describe, expect, it } from 'vitest'
import fixtures from '../fixtures/python-random.json'
import { correctlyRoundedCos, correctlyRoundedLog, correctlyRoundedSin, PythonRandom } from '../../src/engine/python-random'

interface SeedFixture {
  seed: string
  random: number[]
  getrandbits: { k: number; value: string }[]
  randint: { a: number; b: number; value: number }[]
  randrange: ({ stop: number; value: number } | { start: number; stop: number; value: number })[]
  gauss: number[]
  uniform: number[]
  shuffle: number[][]
  mixed: number[]
}

const seeds = fixtures.seeds as SeedFixture[]

/** Distance in units in the last place between two doubles of the same sign. */
function ulps(a: number, b: number): number {
  const view = new Float64Array([a, b])
  const bits = new BigInt64Array(view.buffer)
  const d = bits[0] - bits[1]
  return Number(d < 0n ? -d : d)
}

/**
 * gauss goes through log/cos/sin, which PythonRandom rounds correctly while
 * glibc misses by one ulp on about 0.1 % of inputs; the stream itself never
 * diverges. So gauss values must agree to one ulp, and nearly all exactly.
 */
function expectGaussClose(got: number[], expected: number[]): number {
  expect(got.length).toBe(expected.length)
  let exact = 0
  got.forEach((value, i) => {
    const d = ulps(value, expected[i])
    if (d > 1) expect(value, `value ${i}`).toBe(expected[i])
    if (d === 0) exact++
  })
  return exact
}

/** Seeds above 2**53 cannot be numbers; the fixture keeps them as strings. */
function seedOf(fixture: SeedFixture): number | bigint {
  const big = BigInt(fixture.seed)
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big
}

describe.each(seeds.map((s) => [s.seed, s] as const))('PythonRandom(%s) against CPython', (_name, fx) => {
  it('random()', () => {
    const r = new PythonRandom(seedOf(fx))
    expect(fx.random.map(() => r.random())).toEqual(fx.random)
  })

  it('getrandbits(k), up to 53 bits as numbers and any width as bigint', () => {
    const small = new PythonRandom(seedOf(fx))
    const big = new PythonRandom(seedOf(fx))
    for (const { k, value } of fx.getrandbits) {
      const expected = BigInt(value)
      expect(big.getrandbitsBig(k)).toBe(expected)
      if (k <= 53) expect(small.getrandbits(k)).toBe(Number(expected))
      else small.getrandbitsBig(k)
    }
  })

  it('randint(a, b)', () => {
    const r = new PythonRandom(seedOf(fx))
    expect(fx.randint.map(({ a, b }) => r.randint(a, b))).toEqual(fx.randint.map((d) => d.value))
  })

  it('randrange(stop) and randrange(start, stop)', () => {
    const r = new PythonRandom(seedOf(fx))
    const got = fx.randrange.map((d) => ('start' in d ? r.randrange(d.start, d.stop) : r.randrange(d.stop)))
    expect(got).toEqual(fx.randrange.map((d) => d.value))
  })

  it('gauss(mu, sigma) with its cached second value', () => {
    const r = new PythonRandom(seedOf(fx))
    const got = [...Array.from({ length: 7 }, () => r.gauss(0, 1)), r.random()]
    for (let i = 0; i < 5; i++) got.push(r.gauss(0.5, 0.1))
    expect(got[7]).toBe(fx.gauss[7])
    expect(expectGaussClose(got, fx.gauss)).toBeGreaterThanOrEqual(got.length - 1)
  })

  it('uniform(a, b)', () => {
    const r = new PythonRandom(seedOf(fx))
    const got = [...Array.from({ length: 10 }, () => r.uniform(-0.3, 0.3)), ...Array.from({ length: 5 }, () => r.uniform(2, -1))]
    expect(got).toEqual(fx.uniform)
  })

  it('shuffle(array)', () => {
    const r = new PythonRandom(seedOf(fx))
    const got = fx.shuffle.map((expected) => {
      const items = Array.from({ length: expected.length }, (_, i) => i)
      r.shuffle(items)
      return items
    })
    expect(got).toEqual(fx.shuffle)
  })

  it('lesson 000 init order: gauss then uniform from one stream', () => {
    const r = new PythonRandom(seedOf(fx))
    const got = [...Array.from({ length: 64 }, () => r.gauss(0, 0.1)), ...Array.from({ length: 9 }, () => r.uniform(-0.3, 0.3))]
    expect(got.slice(64)).toEqual(fx.mixed.slice(64))
    expect(expectGaussClose(got.slice(0, 64), fx.mixed.slice(0, 64))).toBeGreaterThanOrEqual(62)
  })
})

describe('PythonRandom behaviour', () => {
  it('re-seeding restarts the stream and drops the cached normal', () => {
    const r = new PythonRandom(7)
    const first = [r.gauss(), r.random()]
    r.gauss()
    r.seed(7)
    expect([r.gauss(), r.random()]).toEqual(first)
  })

  it('a number seed and the same bigint seed agree', () => {
    const a = new PythonRandom(2 ** 32 + 5)
    const b = new PythonRandom(2n ** 32n + 5n)
    expect(a.random()).toBe(b.random())
  })

  it('shuffles typed arrays in place like arrays', () => {
    const a = new PythonRandom(3)
    const b = new PythonRandom(3)
    const typed = Int32Array.from({ length: 20 }, (_, i) => i)
    const plain = Array.from({ length: 20 }, (_, i) => i)
    a.shuffle(typed)
    b.shuffle(plain)
    expect(Array.from(typed)).toEqual(plain)
  })

  it('rejects empty ranges and bad bit counts', () => {
    const r = new PythonRandom(0)
    expect(() => r.randrange(0)).toThrow(RangeError)
    expect(() => r.randrange(3, 3)).toThrow(RangeError)
    expect(() => r.randint(2, 1)).toThrow(RangeError)
    expect(() => r.getrandbits(-1)).toThrow(RangeError)
    expect(() => r.getrandbits(54)).toThrow(RangeError)
    expect(r.getrandbits(0)).toBe(0)
  })
})

describe('correctly rounded log / cos / sin behind gauss', () => {
  it('stay within one ulp of Math over gauss\'s input ranges', () => {
    const r = new PythonRandom(11)
    for (let i = 0; i < 20_000; i++) {
      const u = r.random()
      const y = 1 - u
      const x = u * 2 * Math.PI
      if (ulps(correctlyRoundedLog(y), Math.log(y)) > 1) throw new Error(`log(${y})`)
      if (ulps(correctlyRoundedCos(x), Math.cos(x)) > 1 && Math.abs(Math.cos(x)) > 1e-300) throw new Error(`cos(${x})`)
      if (ulps(correctlyRoundedSin(x), Math.sin(x)) > 1 && Math.abs(Math.sin(x)) > 1e-300) throw new Error(`sin(${x})`)
    }
  })

  it('hit exact and known values', () => {
    expect(correctlyRoundedLog(1)).toBe(0)
    expect(correctlyRoundedLog(0.5)).toBe(-Math.LN2)
    expect(correctlyRoundedLog(2 ** -53)).toBe(-53 * Math.LN2)
    expect(correctlyRoundedSin(0)).toBe(0)
    expect(correctlyRoundedCos(0)).toBe(1)
    expect(correctlyRoundedSin(Math.PI)).toBe(1.2246467991473532e-16)
    expect(correctlyRoundedCos(Math.PI / 2)).toBe(6.123233995736766e-17)
    expect(correctlyRoundedSin(Math.PI / 6)).toBe(0.49999999999999994)
  })
})
