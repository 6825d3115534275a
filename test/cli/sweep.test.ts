/**
 * `lab sweep`, spawned as a user runs it (tsx src/cli/main.ts sweep …): a
 * tiny patterns sweep, 2 values × 2 seeds, writes a run folder per setting and
 * seed and a sweep.json with a point per model of each; bad usage exits 2.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { serializeExperiment } from '../../src/host/experiment-files'
import { RunInfo } from '../../src/shared/run-file'
import type { SweepFile } from '../../src/cli/sweep'

const ROOT = resolve(__dirname, '..', '..')
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx')
const MAIN = join(ROOT, 'src', 'cli', 'main.ts')
const dir = mkdtempSync(join(tmpdir(), 'cnnlab-cli-sweep-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const lab = (...args: string[]) => spawnSync(TSX, [MAIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })

function experimentFile(): string {
  const preset = getPreset('patterns-3')!
  const file = join(dir, 'tiny.cnnlab.json')
  const text = serializeExperiment({ ...preset, training: { ...preset.training, epochs: 3, snapshotEpochs: [] } })
  if (!text.ok) throw new Error(text.error)
  writeFileSync(file, text.value)
  return file
}

describe('lab sweep', () => {
  it('lab --help lists sweep', () => {
    const help = lab('--help')
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/sweep FILE --kind KIND --values 1,2,5 \[--seeds N\] --out DIR/)
    expect(help.stdout).toContain('train-count, val-shift, augment')
  })

  it('2 training-set sizes × 2 seeds: four run folders and sweep.json with both models at each', () => {
    const out = join(dir, 'train-count')
    const result = lab('sweep', experimentFile(), '--kind', 'train-count', '--values', '5,2', '--seeds', '2', '--out', out, '--quiet')
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    const file = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as SweepFile
    expect(file).toMatchObject({ kind: 'train-count', values: [2, 5], seeds: 2, status: 'completed' })
    expect(file.points.map((p) => [p.value, p.seed, p.model])).toEqual([
      [2, 0, 'cnn'], [2, 0, 'mlp'], [2, 1, 'cnn'], [2, 1, 'mlp'],
      [5, 0, 'cnn'], [5, 0, 'mlp'], [5, 1, 'cnn'], [5, 1, 'mlp'],
    ])
    for (const p of file.points) {
      expect(Object.keys(p).sort()).toEqual(['model', 'parameterCount', 'run', 'seed', 'valAccuracy', 'value'])
      expect(p.parameterCount).toBe(p.model === 'cnn' ? 114 : 1227)
      expect(p.valAccuracy).toBeGreaterThanOrEqual(0)
    }
    const runs = [...new Set(file.points.map((p) => p.run))]
    expect(readdirSync(out).sort()).toEqual([...runs, 'sweep.json'].sort())
    for (const run of runs) {
      const info = RunInfo.parse(JSON.parse(readFileSync(join(out, run, 'run.json'), 'utf8')))
      expect(info.status).toBe('completed')
      expect(info.trainCount).toBe(3 * Number(run.split('-')[2])) // images per class × 3 classes
      expect(info.sweep).toMatchObject({ kind: 'train-count', seeds: 2 })
      expect(existsSync(join(out, run, 'metrics.jsonl'))).toBe(true)
    }
    // Two seeds are two different trainings of the same setting.
    const seed = (s: number) => JSON.parse(readFileSync(join(out, `train-count-2-seed-${s}`, 'experiment.cnnlab.json'), 'utf8'))
    expect(seed(1).training.seed).not.toBe(seed(0).training.seed)
    expect(seed(1).dataset.train.seed).not.toBe(seed(0).dataset.train.seed)
    expect(seed(1).dataset.val).toEqual(seed(0).dataset.val)
    expect(result.stdout).toMatch(/mean, min–max of 2/)
  })

  it('an augment sweep: each setting trains both models with its random shift, recorded in the run folder', () => {
    const out = join(dir, 'augment')
    const result = lab('sweep', experimentFile(), '--kind', 'augment', '--values', '0,2', '--out', out, '--quiet')
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    const file = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as SweepFile
    expect(file).toMatchObject({ kind: 'augment', values: [0, 2], seeds: 1, status: 'completed' })
    expect(file.points.map((p) => [p.value, p.model])).toEqual([[0, 'cnn'], [0, 'mlp'], [2, 'cnn'], [2, 'mlp']])
    const recipe = (value: number) => JSON.parse(readFileSync(join(out, `augment-${value}-seed-0`, 'experiment.cnnlab.json'), 'utf8'))
    expect(recipe(0).training.augment).toBeUndefined()
    expect(recipe(2).training.augment).toEqual({ shift: 2 })
  })

  it('refuses bad usage with one line and exit code 2, and a non-empty DIR with 1', () => {
    const file = experimentFile()
    const noKind = lab('sweep', file, '--values', '1', '--out', join(dir, 'x'))
    expect(noKind.status).toBe(2)
    expect(noKind.stderr).toMatch(/^cnn-lab: sweep: --kind is required/)
    expect(lab('sweep', file, '--kind', 'rotate', '--values', '1', '--out', join(dir, 'x')).stderr).toMatch(/unknown kind "rotate"/)
    expect(lab('sweep', file, '--kind', 'train-count', '--values', '1,x', '--out', join(dir, 'x')).status).toBe(2)
    expect(lab('sweep', file, '--kind', 'train-count', '--values', '0', '--out', join(dir, 'x')).stderr).toMatch(/≥ 1/)
    const full = lab('sweep', file, '--kind', 'train-count', '--values', '2', '--out', dir)
    expect(full.status).toBe(1)
    expect(full.stderr).toMatch(/is not empty/)
  })
})
