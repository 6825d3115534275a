/**
 * Lesson 002's datasets through the terminal door: `lab run --save-data`
 * writes exactly the pictures the engine builds (the digits as scikit-learn's
 * file holds them, the colour bars with three channels).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildDatasets } from '../../src/engine/datasets'
import { readRunFolder, readSafetensorsFile } from '../../src/host/run-folder'
import type { Experiment } from '../../src/shared/experiment'

const ROOT = resolve(__dirname, '..', '..')
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx')
const MAIN = join(ROOT, 'src', 'cli', 'main.ts')

let tmp: string
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'cnnlab-cli-data-'))
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** Runs `lab run FILE --out DIR --save-data` on the experiment; returns the run folder's saved data. */
async function runSaved(name: string, experiment: Experiment) {
  const file = join(tmp, `${name}.cnnlab.json`)
  writeFileSync(file, JSON.stringify(experiment))
  const out = join(tmp, name)
  const result = spawnSync(TSX, [MAIN, 'run', file, '--out', out, '--save-data', '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
  expect(result.status, result.stderr).toBe(0)
  const run = await readRunFolder(out)
  expect(run.run.status).toBe('completed')
  return {
    train: (await readSafetensorsFile(run.data.train!)).tensors,
    val: (await readSafetensorsFile(run.data.val!)).tensors,
  }
}

describe('lab run --save-data on lesson 002 data', () => {
  it('digits: the saved pictures are the engine\'s split of scikit-learn\'s file, values/16', async () => {
    const experiment = getPreset('digits')!
    experiment.training.epochs = 1
    experiment.training.snapshotEpochs = []
    const saved = await runSaved('digits', experiment)
    expect(saved.train.x).toMatchObject({ dtype: 'F32', shape: [1437, 1, 8, 8] })
    expect(saved.val.x).toMatchObject({ dtype: 'F32', shape: [360, 1, 8, 8] })
    const built = buildDatasets(experiment.dataset)
    expect(Array.from(saved.train.x.data as Float32Array)).toEqual(Array.from(built.train.x.data))
    expect(Array.from(saved.val.y.data as BigInt64Array, Number)).toEqual(Array.from(built.val.y))
    // Every saved picture, times 16, is a row of the source file with its label.
    const rows = new Map<string, number>()
    for (const line of gunzipSync(readFileSync(join(ROOT, 'data/digits/digits.csv.gz'))).toString('utf8').trim().split('\n')) {
      const values = line.split(',').map(Number)
      rows.set(values.slice(0, 64).join(','), values[64])
    }
    const x = saved.train.x.data as Float32Array
    const y = Array.from(saved.train.y.data as BigInt64Array, Number)
    for (let i = 0; i < 1437; i++) {
      const key = Array.from(x.subarray(i * 64, (i + 1) * 64), (v) => Math.round(v * 16)).join(',')
      if (rows.get(key) !== y[i]) throw new Error(`saved picture ${i} (label ${y[i]}) is not in the source with that label`)
    }
  }, 120_000)

  it('colour: three channels saved as [N, 3, H, W], as the engine draws them', async () => {
    const experiment = getPreset('colour')!
    experiment.training.epochs = 1
    experiment.training.snapshotEpochs = []
    const saved = await runSaved('colour', experiment)
    expect(saved.train.x).toMatchObject({ dtype: 'F32', shape: [120, 3, 12, 12] })
    expect(Array.from(saved.train.x.data as Float32Array)).toEqual(Array.from(buildDatasets(experiment.dataset).train.x.data))
  }, 120_000)
})
