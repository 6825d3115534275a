/**
 * A re-implementation of CPython's `random.Random` (3.x): the same Mersenne
 * Twister, seeded the same way, and the same derived draws, so that the lesson
 * presets reproduce the numbers the lessons print from `random.Random(seed)`.
 *
 * Only the methods the lab needs are here. Each mirrors the CPython algorithm
 * step for step, because any reordering of draws (or an extra draw) shifts
 * every later number.
 */

const N = 624
const M = 397
const MATRIX_A = 0x9908b0df
const UPPER_MASK = 0x80000000
const LOWER_MASK = 0x7fffffff
const TWO_PI = 2 * Math.PI
const TWO_POW_26 = 67108864
const TWO_POW_32 = 4294967296
const TWO_POW_53 = 9007199254740992

// ── correctly rounded log, cos and sin ──────────────────────────────────────
//
// CPython's gauss calls the C library's log/cos/sin. V8's Math versions differ
// from glibc's by one ulp on 3–7 % of gauss's inputs; glibc itself is not
// correctly rounded either, but misses on only about 0.1 % (and its answer can
// depend on whether the CPU has FMA). Correct rounding is the closest
// platform-independent target, so the three functions are evaluated here in
// double-double (about 100 bits) and rounded once. A one-ulp difference never
// touches the Mersenne Twister state, so later draws stay identical.
// Results land in ddH/ddL so no objects are made.

let ddH = 0
let ddL = 0
const SPLITTER = 134217729 // 2^27 + 1, Veltkamp's split constant

function twoSum(a: number, b: number): void {
  const s = a + b
  const bb = s - a
  ddH = s
  ddL = a - (s - bb) + (b - bb)
}

function twoProd(a: number, b: number): void {
  const p = a * b
  let t = SPLITTER * a
  const ah = t - (t - a)
  const al = a - ah
  t = SPLITTER * b
  const bh = t - (t - b)
  const bl = b - bh
  ddH = p
  ddL = ah * bh - p + ah * bl + al * bh + al * bl
}

function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  twoSum(ah, bh)
  const sh = ddH
  let sl = ddL
  twoSum(al, bl)
  const th = ddH
  const tl = ddL
  sl += th
  const h = sh + sl
  sl = sl - (h - sh)
  sl += tl
  ddH = h + sl
  ddL = sl - (ddH - h)
}

function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh)
  const ph = ddH
  const pl = ddL + (ah * bl + al * bh)
  ddH = ph + pl
  ddL = pl - (ddH - ph)
}

function ddDiv(ah: number, al: number, bh: number, bl: number): void {
  const q1 = ah / bh
  ddMul(q1, 0, bh, bl)
  ddAdd(ah, al, -ddH, -ddL)
  const rh = ddH
  const rl = ddL
  const q2 = rh / bh
  ddMul(q2, 0, bh, bl)
  ddAdd(rh, rl, -ddH, -ddL)
  const q3 = ddH / bh
  twoSum(q1, q2)
  ddAdd(ddH, ddL, q3, 0)
}

/** Double-double coefficients, hi and lo interleaved. */
function coefficients(count: number, value: (k: number) => [number, number]): Float64Array {
  const out = new Float64Array(2 * count)
  for (let k = 0; k < count; k++) {
    const [num, den] = value(k)
    ddDiv(num, 0, den, 0)
    out[2 * k] = ddH
    out[2 * k + 1] = ddL
  }
  return out
}

// atanh series for log: 1/(2k+1); 22 terms reach 2^-106 for |s| ≤ 3 - 2√2.
const LOG_SERIES = coefficients(22, (k) => [1, 2 * k + 1])
// Taylor series for |r| ≤ π/4: 15 terms each reach 2^-106. Factorials past 22! are
// not exact doubles, so they are accumulated in double-double.
const SIN_SERIES = new Float64Array(30)
const COS_SERIES = new Float64Array(30)
{
  let fh = 1
  let fl = 0
  for (let n = 0; n < 30; n++) {
    if (n > 0) {
      ddMul(fh, fl, n, 0)
      fh = ddH
      fl = ddL
    }
    ddDiv(n % 4 < 2 ? 1 : -1, 0, fh, fl)
    const k = n >> 1
    const table = n % 2 === 0 ? COS_SERIES : SIN_SERIES
    table[2 * k] = ddH
    table[2 * k + 1] = ddL
  }
}
const LN2_HI = 0.6931471805599453
const LN2_LO = 2.3190468138462996e-17
const PIO2_1 = 1.5707963267948966
const PIO2_2 = 6.123233995736766e-17
const PIO2_3 = -1.4973849048591698e-33
const SQRT2 = Math.SQRT2

/** Horner on t = (th, tl) over interleaved coefficients, highest degree last. */
function ddPoly(th: number, tl: number, table: Float64Array, terms: number): void {
  let ph = table[2 * (terms - 1)]
  let pl = table[2 * (terms - 1) + 1]
  for (let k = terms - 2; k >= 0; k--) {
    ddMul(ph, pl, th, tl)
    ddAdd(ddH, ddL, table[2 * k], table[2 * k + 1])
    ph = ddH
    pl = ddL
  }
}

/** ln(y) for a positive finite y, correctly rounded except on astronomically rare inputs. */
export function correctlyRoundedLog(y: number): number {
  if (!(y > 0) || y === Infinity) return Math.log(y)
  if (y === 1) return 0
  let e = Math.floor(Math.log2(y))
  let m = y / 2 ** e
  // log2 may land one off near powers of two.
  if (m >= 2) {
    m /= 2
    e++
  } else if (m < 1) {
    m *= 2
    e--
  }
  if (m > SQRT2) {
    m /= 2
    e++
  }
  // ln m = 2 atanh(s), s = (m - 1) / (m + 1); m - 1 is exact here.
  twoSum(m, 1)
  ddDiv(m - 1, 0, ddH, ddL)
  const sh = ddH
  const sl = ddL
  ddMul(sh, sl, sh, sl)
  ddPoly(ddH, ddL, LOG_SERIES, 22)
  ddMul(ddH, ddL, 2 * sh, 2 * sl)
  const lh = ddH
  const ll = ddL
  twoProd(e, LN2_HI)
  ddAdd(ddH, ddL + e * LN2_LO, lh, ll)
  return ddH + ddL
}

/** Reduces x (|x| < 2^20) to r = x - kπ/2 in double-double; returns k mod 4. */
function reduceQuarterTurn(x: number): number {
  const k = Math.round(x / PIO2_1)
  twoProd(k, PIO2_1)
  ddAdd(x, 0, -ddH, -ddL)
  const h = ddH
  const l = ddL
  twoProd(k, PIO2_2)
  ddAdd(h, l, -ddH, -(ddL + k * PIO2_3))
  return ((k % 4) + 4) % 4
}

function sinOfReduced(rh: number, rl: number): void {
  ddMul(rh, rl, rh, rl)
  ddPoly(ddH, ddL, SIN_SERIES, 15)
  ddMul(ddH, ddL, rh, rl)
}

function cosOfReduced(rh: number, rl: number): void {
  ddMul(rh, rl, rh, rl)
  ddPoly(ddH, ddL, COS_SERIES, 15)
}

/** sin(x) for |x| < 2^20 (gauss only needs [0, 2π)), correctly rounded in practice. */
export function correctlyRoundedSin(x: number): number {
  if (!(Math.abs(x) < 1048576)) return Math.sin(x)
  if (x === 0) return x
  const q = reduceQuarterTurn(x)
  const rh = ddH
  const rl = ddL
  if (q === 0 || q === 2) sinOfReduced(rh, rl)
  else cosOfReduced(rh, rl)
  const v = ddH + ddL
  return q < 2 ? v : -v
}

/** cos(x) for |x| < 2^20, correctly rounded in practice. */
export function correctlyRoundedCos(x: number): number {
  if (!(Math.abs(x) < 1048576)) return Math.cos(x)
  const q = reduceQuarterTurn(x)
  const rh = ddH
  const rl = ddL
  if (q === 0 || q === 2) cosOfReduced(rh, rl)
  else sinOfReduced(rh, rl)
  const v = ddH + ddL
  return q === 0 || q === 3 ? v : -v
}

/** Bits needed to write n (n ≥ 0), as Python's int.bit_length(). */
function bitLength(n: number): number {
  if (n < TWO_POW_32) return 32 - Math.clz32(n)
  let bits = 32
  let high = Math.floor(n / TWO_POW_32)
  while (high > 0) {
    bits++
    high = Math.floor(high / 2)
  }
  return bits
}

/**
 * The seed's 32-bit words, least significant first, as CPython's
 * `random_seed` builds its key (zero still gives one word).
 */
function seedWords(seed: number | bigint): number[] {
  let n: bigint
  if (typeof seed === 'bigint') {
    n = seed < 0n ? -seed : seed
  } else {
    if (!Number.isSafeInteger(seed)) {
      throw new Error(`PythonRandom: seed must be a safe integer or a bigint, got ${seed}`)
    }
    n = BigInt(Math.abs(seed))
  }
  const words: number[] = []
  do {
    words.push(Number(n & 0xffffffffn))
    n >>= 32n
  } while (n > 0n)
  return words
}

export class PythonRandom {
  private readonly mt = new Uint32Array(N)
  private index = N + 1
  /** Box–Muller makes two normals at once; CPython hands out the second on the next call. */
  private gaussNext: number | null = null

  constructor(seed: number | bigint = 0) {
    this.seed(seed)
  }

  /** As `random.seed(n)` for an integer n (negative seeds use |n|, as CPython does). */
  seed(seed: number | bigint): void {
    this.initByArray(seedWords(seed))
    this.gaussNext = null
  }

  private initGenrand(s: number): void {
    const mt = this.mt
    mt[0] = s >>> 0
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0
    }
    this.index = N
  }

  private initByArray(key: readonly number[]): void {
    this.initGenrand(19650218)
    const mt = this.mt
    const length = key.length
    let i = 1
    let j = 0
    for (let k = Math.max(N, length); k > 0; k--) {
      const prev = mt[i - 1]
      mt[i] = ((mt[i] ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + key[j] + j) >>> 0
      i++
      j++
      if (i >= N) {
        mt[0] = mt[N - 1]
        i = 1
      }
      if (j >= length) j = 0
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]
      mt[i] = ((mt[i] ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i) >>> 0
      i++
      if (i >= N) {
        mt[0] = mt[N - 1]
        i = 1
      }
    }
    // Guarantees a non-zero state whatever the key.
    mt[0] = 0x80000000
  }

  private twist(): void {
    const mt = this.mt
    let kk = 0
    for (; kk < N - M; kk++) {
      const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK)
      mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)
    }
    for (; kk < N - 1; kk++) {
      const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK)
      mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)
    }
    const y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK)
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)
    this.index = 0
  }

  /** One raw 32-bit output of MT19937, as an unsigned number. */
  genrandUint32(): number {
    if (this.index >= N) this.twist()
    let y = this.mt[this.index++]
    y ^= y >>> 11
    y ^= (y << 7) & 0x9d2c5680
    y ^= (y << 15) & 0xefc60000
    y ^= y >>> 18
    return y >>> 0
  }

  /** A float in [0, 1) with 53 random bits: 27 from one draw, 26 from the next. */
  random(): number {
    const a = this.genrandUint32() >>> 5
    const b = this.genrandUint32() >>> 6
    return (a * TWO_POW_26 + b) / TWO_POW_53
  }

  /**
   * k random bits as a number, 0 ≤ k ≤ 53. Above 32 bits CPython fills 32-bit
   * words from the least significant end, the last word keeping its top bits.
   */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 0) throw new RangeError('getrandbits: number of bits must be a non-negative integer')
    if (k <= 32) return k === 0 ? 0 : this.genrandUint32() >>> (32 - k)
    if (k > 53) throw new RangeError('getrandbits: use getrandbitsBig for more than 53 bits')
    const low = this.genrandUint32()
    const high = this.genrandUint32() >>> (64 - k)
    return high * TWO_POW_32 + low
  }

  /** k random bits as a bigint, for any k (same draws as CPython's getrandbits(k)). */
  getrandbitsBig(k: number): bigint {
    if (!Number.isInteger(k) || k < 0) throw new RangeError('getrandbits: number of bits must be a non-negative integer')
    let result = 0n
    let shift = 0n
    for (let left = k; left > 0; left -= 32) {
      let word = this.genrandUint32()
      if (left < 32) word >>>= 32 - left
      result |= BigInt(word) << shift
      shift += 32n
    }
    return result
  }

  /** Uniform integer in [0, n), n ≥ 1, by rejection on bit_length(n) bits as CPython does. */
  randbelow(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`randbelow: n must be a positive safe integer, got ${n}`)
    const k = bitLength(n)
    let r = this.getrandbits(k)
    while (r >= n) r = this.getrandbits(k)
    return r
  }

  /** As `randrange(stop)` or `randrange(start, stop)` (step 1). */
  randrange(start: number, stop?: number): number {
    if (!Number.isSafeInteger(start) || (stop !== undefined && !Number.isSafeInteger(stop))) {
      throw new RangeError('randrange: arguments must be safe integers')
    }
    if (stop === undefined) {
      if (start > 0) return this.randbelow(start)
      throw new RangeError(`randrange: empty range for randrange(${start})`)
    }
    const width = stop - start
    if (width > 0) return start + this.randbelow(width)
    throw new RangeError(`randrange: empty range for randrange(${start}, ${stop})`)
  }

  /** Integer in [a, b], both ends included. */
  randint(a: number, b: number): number {
    return this.randrange(a, b + 1)
  }

  /** a + (b - a) * random(), with CPython's rounding (b may be reached). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.random()
  }

  /**
   * Normal draw via CPython's gauss: Box–Muller on two uniforms, the sine half
   * cached for the next call. The values match CPython exactly wherever the
   * platform's cos/sin/log round like the C library's (V8 and glibc agree on
   * nearly every input; see the tests).
   */
  gauss(mu = 0, sigma = 1): number {
    let z = this.gaussNext
    this.gaussNext = null
    if (z === null) {
      const angle = this.random() * TWO_PI
      const radius = Math.sqrt(-2 * correctlyRoundedLog(1 - this.random()))
      z = correctlyRoundedCos(angle) * radius
      this.gaussNext = correctlyRoundedSin(angle) * radius
    }
    return mu + z * sigma
  }

  /** In-place Fisher–Yates from the end, as CPython's shuffle. */
  shuffle<T>(items: T[] | Int32Array | Float32Array | Float64Array | Uint32Array): void {
    const a = items as T[]
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1)
      const t = a[i]
      a[i] = a[j]
      a[j] = t
    }
  }

  /** As `choice(seq)`: one element, uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('choice: empty sequence')
    return items[this.randbelow(items.length)]
  }
}
