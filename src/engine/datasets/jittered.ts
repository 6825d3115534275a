/**
 * Lesson 001's way of making pictures from templates, shared by the patterns
 * and colour sets: each class's template moved by a random jitter (and, for a
 * shifted val set, by a shift from its own stream), scaled by a random
 * brightness, with Gaussian noise, clipped to [0, 1]; then shuffled so the
 * classes interleave. The order of random draws is part of the data: the
 * lessons' numbers depend on it.
 */
import type { Rng } from '../rng'
import { shiftImage } from './shift'

export interface JitterSpec {
  /** Per-class templates, label = index, each [channels, size, size]. */
  templates: readonly Float32Array[]
  channels: number
  size: number
  perClass: number
  maxShift: number
  /** Val pictures' extra shift (0: none), drawn from `shiftRng` so every other draw stays as it was. */
  valShift: number
  brightness: readonly [number, number]
  noise: number
}

/** The pictures, sample-major, and their labels, in shuffled order. */
export function jitteredSet(spec: JitterSpec, rng: Rng, shiftRng: Rng): { x: Float32Array; y: Int32Array } {
  const { templates, channels, size, perClass, maxShift, valShift, noise } = spec
  const [b0, b1] = spec.brightness
  const picture = channels * size * size
  const total = perClass * templates.length
  const span = 2 * maxShift + 1
  const valSpan = 2 * valShift + 1
  const raw = new Float32Array(total * picture)
  const labels = new Int32Array(total)
  let n = 0
  templates.forEach((template, label) => {
    for (let k = 0; k < perClass; k++, n++) {
      // Row shift first, then column shift, as lesson 001 draws them.
      let dy = rng.int(span) - maxShift
      let dx = rng.int(span) - maxShift
      if (valShift > 0) {
        // As MNIST's valShift: uniform over the square minus its centre. Added to the
        // jitter before brightness and noise, so a moved picture is noisy edge to edge.
        let sx = 0
        let sy = 0
        while (sx === 0 && sy === 0) {
          sx = shiftRng.int(valSpan) - valShift
          sy = shiftRng.int(valSpan) - valShift
        }
        dx += sx
        dy += sy
      }
      const base = n * picture
      shiftImage(template, raw, channels, size, size, dx, dy, 0, base)
      const brightness = rng.uniform(b0, b1)
      for (let p = base; p < base + picture; p++) {
        const v = raw[p] * brightness + noise * rng.normal()
        raw[p] = v < 0 ? 0 : v > 1 ? 1 : v
      }
      labels[n] = label
    }
  })

  const order = rng.permutation(total)
  const x = new Float32Array(total * picture)
  const y = new Int32Array(total)
  for (let i = 0; i < total; i++) {
    const from = order[i]
    x.set(raw.subarray(from * picture, (from + 1) * picture), i * picture)
    y[i] = labels[from]
  }
  return { x, y }
}
