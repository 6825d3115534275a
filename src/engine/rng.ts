/**
 * The lab's own generator for everything that need not match Python: data
 * noise, shuffling, dropout masks, he-normal init.
 *
 * sfc32 (Chris Doty-Humphrey's small fast counting generator): 128 bits of
 * state, passes PractRand to terabytes, and needs only 32-bit integer ops,
 * which JavaScript does natively. The counter word guarantees a period of at
 * least 2^32 whatever the seed. It is seeded through splitmix32 so that nearby
 * seeds (0, 1, 2…) start from unrelated states.
 */

const TWO_POW_32 = 4294967296
const INV_TWO_POW_32 = 1 / TWO_POW_32

/** One splitmix32-style finaliser: a bijection on 32-bit words with full avalanche. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad)
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97)
  return (x ^ (x >>> 15)) >>> 0
}

/**
 * A seed for one purpose ("data", "init", "shuffle", "dropout", …) derived from
 * a user's seed, so one experiment seed yields independent streams and adding a
 * new purpose never shifts the others. Accepts any non-negative safe integer.
 */
export function deriveSeed(seed: number, purpose: string): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`deriveSeed: seed must be a non-negative safe integer, got ${seed}`)
  // FNV-1a over UTF-16 code units, then mixed with both halves of the seed.
  let h = 0x811c9dc5
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193)
  const low = seed >>> 0
  const high = Math.floor(seed / TWO_POW_32) >>> 0
  let x = mix32(h ^ 0x9e3779b9)
  x = mix32((x + low) >>> 0)
  x = mix32((x ^ high) + 0x9e3779b9)
  return x
}

export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number
  /** Box–Muller yields normals in pairs; the second waits here. */
  private spare = 0
  private hasSpare = false

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Rng: seed must be a finite number, got ${seed}`)
    // splitmix32 stream: add the golden-ratio increment, finalise, four times.
    let s = ((Math.floor(seed) >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32) >>> 0, 0x85ebca6b)) >>> 0
    const words: number[] = []
    for (let i = 0; i < 4; i++) {
      s = (s + 0x9e3779b9) >>> 0
      words.push(mix32(s))
    }
    this.a = words[0]
    this.b = words[1]
    this.c = words[2]
    this.d = words[3]
    // The first outputs of sfc32 are still correlated with the seed words.
    for (let i = 0; i < 12; i++) this.uint32()
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1) on a 2^-32 grid: plenty for noise, shuffles and masks. */
  next(): number {
    return this.uint32() * INV_TWO_POW_32
  }

  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.next()
  }

  /** Integer in [0, n) for 1 ≤ n ≤ 2^32, exactly uniform. */
  int(n: number): number {
    if (!(n >= 1 && n <= TWO_POW_32) || !Number.isInteger(n)) throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`)
    // Rejecting the top (2^32 mod n) values removes modulo bias; for the small
    // n the lab uses, a retry is almost never needed.
    const limit = TWO_POW_32 - (TWO_POW_32 % n)
    let u = this.uint32()
    while (u >= limit) u = this.uint32()
    return u % n
  }

  /** Standard normal by Box–Muller, the sine half kept for the next call. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false
      return this.spare
    }
    // 1 - next() is in (0, 1], so the log is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()))
    const angle = 2 * Math.PI * this.next()
    this.spare = radius * Math.sin(angle)
    this.hasSpare = true
    return radius * Math.cos(angle)
  }

  /** In-place Fisher–Yates, uniform over permutations. */
  shuffle<T>(items: T[] | Int32Array | Uint32Array | Float32Array | Float64Array): void {
    const a = items as T[]
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = a[i]
      a[i] = a[j]
      a[j] = t
    }
  }

  /** The numbers 0..n-1 in random order. */
  permutation(n: number): Int32Array {
    const order = new Int32Array(n)
    for (let i = 0; i < n; i++) order[i] = i
    this.shuffle(order)
    return order
  }
}
