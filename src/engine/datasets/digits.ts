/**
 * Lesson 002's data: scikit-learn's 1,797 handwritten digits, 8x8 pictures of
 * integer ink counts 0–16 (UCI optdigits), scaled to [0, 1]. The pictures are
 * compiled into the engine (./digits-data.ts, written by scripts/convert-digits.mjs),
 * so every door has them without a file or a network.
 */
import type { DatasetSpec } from '../../shared/experiment'
import type { Dataset } from './dataset'
import { DIGITS_BASE64, DIGITS_COUNT } from './digits-data'
import { splitPool, type PicturePool } from './pool-split'

export type DigitsSpec = Extract<DatasetSpec, { kind: 'digits' }>

export const DIGITS_SIZE = 8
export const DIGITS_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
/** The largest value in the source: 16 of the 4x4 block's pixels inked. */
const INK_MAX = 16
const PLANE = DIGITS_SIZE * DIGITS_SIZE

export interface DigitsSource {
  /** DIGITS_COUNT × 64 ink counts 0–16, in the source file's order. */
  pixels: Uint8Array
  labels: Uint8Array
}

let decoded: DigitsSource | undefined

/** The 1,797 pictures as the source file holds them (decoded once). */
export function digitsSource(): DigitsSource {
  if (!decoded) {
    const binary = atob(DIGITS_BASE64)
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    if (bytes.length !== DIGITS_COUNT * (PLANE + 1)) throw new Error(`digits data holds ${bytes.length} bytes, expected ${DIGITS_COUNT * (PLANE + 1)}`)
    decoded = { pixels: bytes.subarray(0, DIGITS_COUNT * PLANE), labels: bytes.subarray(DIGITS_COUNT * PLANE) }
  }
  return decoded
}

export function makeDigits(spec: DigitsSpec): { train: Dataset; val: Dataset } {
  const { pixels, labels } = digitsSource()
  const pool: PicturePool = {
    name: 'The digits set',
    salt: 'digits',
    count: DIGITS_COUNT,
    size: DIGITS_SIZE,
    label: (i) => labels[i],
    copy(i, dst, at) {
      for (let p = 0; p < PLANE; p++) dst[at + p] = pixels[i * PLANE + p] / INK_MAX
    },
  }
  return splitPool(pool, spec, DIGITS_CLASSES)
}
