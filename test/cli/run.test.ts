/**
 * The real terminal door, spawned as a user runs it (tsx src/cli/main.ts run …),
 * checked by what it leaves on disk and prints.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { serializeExperiment } from '../../src/host/experiment-files'
import { readRunFolder, readSafetensorsFile } from '../../src/host/run-folder'
import type { Experiment } from '../../src/shared/experiment'

const ROOT = resolve(__dirname, '..', '..')
// The same tsx `npx tsx` runs, without npm's own chatter on stderr.
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx')
const MAIN = join(ROOT, 'src', 'cli', 'main.ts')

let tmp: string
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'cnnlab-cli-'))
})
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

function lab(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(TSX, [MAIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

function writeExperiment(name: string, value: unknown): string {
  const path = join(tmp, name)
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2))
  return path
}

function smallPatterns(): Experiment {
  const experiment = getPreset('patterns-3')!
  experiment.training.epochs = 3
  experiment.training.snapshotEpochs = [0, 1, 3]
  return experiment
}

/** Exit 1, exactly the expected lines on stderr, no stack trace, nothing on stdout. */
function expectOneLineFailure(result: ReturnType<typeof lab>, ...lines: (string | RegExp)[]): void {
  expect(result.code, result.stderr).toBe(1)
  expect(result.stdout).toBe('')
  const printed = result.stderr.trimEnd().split('\n')
  expect(printed).toHaveLength(lines.length)
  lines.forEach((line, i) => (typeof line === 'string' ? expect(printed[i]).toBe(line) : expect(printed[i]).toMatch(line)))
  expect(result.stderr).not.toMatch(/\n\s+at /)
}

describe('lab run', () => {
  it('trains patterns-3 for 3 epochs and writes the whole run folder', async () => {
    const file = writeExperiment('patterns.cnnlab.json', smallPatterns())
    const out = join(tmp, 'patterns-run')
    const result = lab(['run', file, '--out', out, '--save-data'])
    expect(result.code, result.stderr).toBe(0)

    // stdout: the summary table, the routes, then the folder.
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^model\s+label\s+params\s+epochs\s+train acc\s+val acc\s+seconds$/)
    expect(lines[1]).toMatch(/^cnn\s+TinyCNN\s+114\s+3\s+\d+\.\d%\s+\d+\.\d%\s+\d+\.\d+$/)
    expect(lines[2]).toMatch(/^mlp\s+TinyMLP\s+1,227\s+3\s+\d+\.\d%\s+\d+\.\d%\s+\d+\.\d+$/)
    // Then which code trained each model, as run.json records it.
    expect(lines[4]).toMatch(/^cnn: trained on tiny-model WebAssembly, one core \(backend (relaxed-)?simd\)$/)
    expect(lines[5]).toMatch(/^mlp: trained on tiny-model WebAssembly, one core \(backend (relaxed-)?simd\)$/)
    expect(lines.at(-1)).toBe(`Run folder: ${out}`)
    // stderr is not a terminal here: plain progress lines, no carriage returns.
    expect(result.stderr).toMatch(/^Training cnn \(TinyCNN, 114 params\) and mlp \(TinyMLP, 1,227 params\)/)
    expect(result.stderr).toMatch(/cnn\s+epoch 3\/3/)
    expect(result.stderr).not.toContain('\r')

    const run = await readRunFolder(out)
    expect(run.experiment).toEqual(smallPatterns())
    expect(run.run).toMatchObject({ status: 'completed', savedData: true, trainCount: 180, valCount: 90 })
    expect(run.run.endedAt).toBeDefined()
    expect(run.run.models.map((m) => m.route?.id)).toEqual(['tiny-wasm', 'tiny-wasm'])
    expect(run.run.models.map((m) => [m.id, m.parameterCount, m.layers.length])).toEqual([
      ['cnn', 114, 5],
      ['mlp', 1227, 4],
    ])
    expect(run.run.final.cnn.epoch).toBe(3)
    expect(run.run.final.mlp.epoch).toBe(3)
    // Epoch 0 is the untrained evaluation; then one row per model per epoch.
    expect(run.metrics.map((r) => `${r.model}:${r.epoch}`).sort()).toEqual(
      ['cnn:0', 'cnn:1', 'cnn:2', 'cnn:3', 'mlp:0', 'mlp:1', 'mlp:2', 'mlp:3'].sort(),
    )
    expect(run.skippedMetricLines).toBe(0)
    expect(run.snapshots.map((s) => `${s.model}/${s.epoch}`)).toEqual(['cnn/0', 'cnn/1', 'cnn/3', 'mlp/0', 'mlp/1', 'mlp/3'])
    expect(Object.keys(run.weights).sort()).toEqual(['cnn', 'mlp'])

    const weights = await readSafetensorsFile(run.weights.cnn)
    expect(weights.tensors['0.weight']).toMatchObject({ dtype: 'F32', shape: [3, 1, 3, 3] })
    expect(weights.tensors['4.weight']).toMatchObject({ dtype: 'F32', shape: [3, 27] })
    // The final weights are the last snapshot's.
    const last = await readSafetensorsFile(run.snapshots.find((s) => s.model === 'cnn' && s.epoch === 3)!.path)
    expect(Array.from(last.tensors['0.weight'].data as Float32Array)).toEqual(Array.from(weights.tensors['0.weight'].data as Float32Array))

    const train = await readSafetensorsFile(run.data.train!)
    expect(train.tensors.x).toMatchObject({ dtype: 'F32', shape: [180, 1, 8, 8] })
    expect(train.tensors.y).toMatchObject({ dtype: 'I64', shape: [180] })
    const val = await readSafetensorsFile(run.data.val!)
    expect(val.tensors.x.shape).toEqual([90, 1, 8, 8])
  })

  it('prints nothing on stderr with --quiet, and the same numbers as before', () => {
    const file = writeExperiment('quiet.cnnlab.json', smallPatterns())
    const out = join(tmp, 'quiet-run')
    const result = lab(['run', file, '--out', out, '--quiet'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toBe('')
    expect(existsSync(join(out, 'data'))).toBe(false)
    // Seeded: the same experiment trains to the same metrics.
    const rows = (dir: string) =>
      readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => {
          const { seconds: _seconds, ...rest } = JSON.parse(l)
          return rest
        })
    expect(rows(out)).toEqual(rows(join(tmp, 'patterns-run')))
  })

  it('says when the file cannot be read', () => {
    const missing = join(tmp, 'missing.cnnlab.json')
    expectOneLineFailure(lab(['run', missing, '--out', join(tmp, 'x')]), `cnn-lab: cannot read ${missing}: no such file or folder`)
    expect(existsSync(join(tmp, 'x'))).toBe(false)
  })

  it('says when the file is not JSON', () => {
    const file = writeExperiment('broken.cnnlab.json', '{"format": "cnn-lab.experiment",')
    expectOneLineFailure(lab(['run', file, '--out', join(tmp, 'x')]), new RegExp(`^cnn-lab: ${file}: not valid JSON: .+`))
  })

  it('reads a file as the app does: an empty file and a JSON file that is not an experiment each get one sentence', () => {
    const empty = writeExperiment('empty.cnnlab.json', '')
    expectOneLineFailure(lab(['run', empty, '--out', join(tmp, 'x')]), `cnn-lab: ${empty}: this file is empty`)
    const other = writeExperiment('package.json', { name: 'x', version: '1.0.0' })
    expectOneLineFailure(
      lab(['run', other, '--out', join(tmp, 'x')]),
      `cnn-lab: ${other}: this is not a CNN Lab experiment file (it has no "format": "cnn-lab.experiment")`,
    )
    expect(existsSync(join(tmp, 'x'))).toBe(false)
  })

  it('runs what the app saves: a UTF-8 BOM, and a version-2 file with base64 results', () => {
    const experiment = smallPatterns()
    experiment.training.epochs = 1
    experiment.training.snapshotEpochs = [0]
    const saved = serializeExperiment({
      ...experiment,
      results: { metrics: [], snapshots: [], finalWeights: { cnn: { '0.bias': { shape: [3], data: [0.5, -0.25, 1] } } } },
    })
    expect(saved.ok).toBe(true)
    const file = join(tmp, 'saved-bom.cnnlab.json')
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(saved.ok ? saved.value : '')]))
    expect(readFileSync(file, 'utf8')).toMatch(/"dtype": "float32"/)
    const result = lab(['run', file, '--out', join(tmp, 'bom-run'), '--quiet'])
    expect(result.code, result.stderr).toBe(0)
    expect(existsSync(join(tmp, 'bom-run', 'run.json'))).toBe(true)
  })

  it('names a wrong-typed field', () => {
    const experiment = smallPatterns() as unknown as { models: { layers: Record<string, unknown>[] }[] }
    experiment.models[0].layers[0].kernelSize = '3'
    const file = writeExperiment('typed.cnnlab.json', experiment)
    expectOneLineFailure(lab(['run', file, '--out', join(tmp, 'x')]), new RegExp(`^cnn-lab: ${file}: models\\.0\\.layers\\.0\\.kernelSize: .+`))
  })

  it('names a layer that does not chain, and makes no folder', () => {
    const experiment = smallPatterns()
    experiment.models[1].layers[1] = { type: 'linear', inFeatures: 65, outFeatures: 18, bias: true }
    const file = writeExperiment('chain.cnnlab.json', experiment)
    const out = join(tmp, 'chain-run')
    expectOneLineFailure(lab(['run', file, '--out', out]), `cnn-lab: ${file}: models.1.layers.1: linear expects 65 input features but receives 64; set inFeatures to 64`)
    expect(existsSync(out)).toBe(false)
  })

  it('names a model whose outputs do not match the classes', () => {
    const experiment = smallPatterns()
    experiment.models[0].layers[4] = { type: 'linear', inFeatures: 27, outFeatures: 5, bias: true }
    const file = writeExperiment('classes.cnnlab.json', experiment)
    expectOneLineFailure(lab(['run', file, '--out', join(tmp, 'x')]), `cnn-lab: ${file}: models.0.layers.4: the last layer (linear) gives 5 outputs but the dataset has 3 classes; set outFeatures to 3`)
  })

  it('refuses a run over the memory budget, naming the field and the limit, and takes the budget from a flag or the environment', () => {
    const experiment = smallPatterns()
    experiment.models[1].layers = [
      { type: 'flatten' },
      { type: 'linear', inFeatures: 64, outFeatures: 20_000, bias: true },
      { type: 'relu' },
      { type: 'linear', inFeatures: 20_000, outFeatures: 20_000, bias: true },
      { type: 'relu' },
      { type: 'linear', inFeatures: 20_000, outFeatures: 3, bias: true },
    ]
    experiment.training.snapshotEpochs = []
    const file = writeExperiment('huge.cnnlab.json', experiment)
    const out = join(tmp, 'huge-run')
    expectOneLineFailure(
      lab(['run', file, '--out', out]),
      /^cnn-lab: .*huge\.cnnlab\.json: models\.1\.layers\.3\.outFeatures: this model has 400 million parameters \(1\.61 GB of weights.*the memory budget for a run is 2 GB \(raise it with --memory-budget GB or CNN_LAB_MEMORY_BUDGET\)$/,
      /^cnn-lab: .*huge\.cnnlab\.json: models\.1\.layers\.3\.outFeatures: the final weights alone take 1\.61 GB on disk; the snapshot budget for a run is 1 GB \(raise it with --snapshot-budget GB or CNN_LAB_SNAPSHOT_BUDGET\)$/,
    )
    expect(existsSync(out)).toBe(false)
    // The lesson's own small run does not fit 50 MB (the engine alone needs more): the flag and the variable both set the budget.
    const small = writeExperiment('small.cnnlab.json', smallPatterns())
    expectOneLineFailure(lab(['run', small, '--out', out, '--memory-budget', '0.05']), /memory budget for a run is 50 MB/)
    const viaEnv = spawnSync(TSX, [MAIN, 'run', small, '--out', out], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CNN_LAB_MEMORY_BUDGET: '0.05' } })
    expectOneLineFailure({ code: viaEnv.status, stdout: viaEnv.stdout, stderr: viaEnv.stderr }, /memory budget for a run is 50 MB/)
    const bad = lab(['run', small, '--out', out, '--memory-budget', 'lots'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe('cnn-lab: run: --memory-budget must be a number of gigabytes from 0.05 to 1000, not "lots"\n')
    expect(existsSync(out)).toBe(false)
  })

  it('refuses an --out folder that is not empty, and one whose parent is missing', () => {
    const file = writeExperiment('ok.cnnlab.json', smallPatterns())
    const full = join(tmp, 'full')
    mkdirSync(full)
    writeFileSync(join(full, 'notes.txt'), 'keep me')
    expectOneLineFailure(lab(['run', file, '--out', full]), new RegExp(`^cnn-lab: cannot use ${full} as a run folder: it already exists and is not empty`))
    expect(readdirSync(full)).toEqual(['notes.txt'])

    const orphan = join(tmp, 'no-parent', 'run')
    expectOneLineFailure(
      lab(['run', file, '--out', orphan]),
      `cnn-lab: cannot create run folder ${orphan}: its parent folder ${join(tmp, 'no-parent')} does not exist`,
    )
  })

  it('treats a missing --out or FILE as bad usage (exit 2)', () => {
    const file = writeExperiment('usage.cnnlab.json', smallPatterns())
    const noOut = lab(['run', file])
    expect(noOut.code).toBe(2)
    expect(noOut.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^cnn-lab: run: --out DIR is required/)])
    const noFile = lab(['run', '--out', join(tmp, 'y')])
    expect(noFile.code).toBe(2)
    expect(noFile.stderr).toMatch(/^cnn-lab: run: which experiment\?/)
    const unknown = lab(['run', file, '--out', join(tmp, 'y'), '--fast'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/^cnn-lab: run: Unknown option '--fast'/)
  })

  it('on Ctrl-C marks the run stopped, keeps every finished epoch and exits 130', async () => {
    // Lesson 000 in float64, with far more epochs than it could finish before the signal
    // lands (400 can be over before a loaded machine delivers it).
    const preset = getPreset('edge-detector')!
    const long = { ...preset, models: preset.models.map((m) => ({ ...m, training: { ...m.training, epochs: 100_000 } })) }
    const file = writeExperiment('edges.cnnlab.json', long)
    const out = join(tmp, 'edges-run')
    const child = spawn(TSX, [MAIN, 'run', file, '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)))

    // Wait until a few epochs are on disk.
    const metrics = join(out, 'metrics.jsonl')
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      if (existsSync(metrics) && readFileSync(metrics, 'utf8').split('\n').length > 6) break
      await new Promise((r) => setTimeout(r, 50))
    }
    child.kill('SIGINT')
    const code = await exited
    expect(code, stderr).toBe(130)
    expect(stderr).toContain('cnn-lab: stopped; the run folder keeps every finished epoch')

    const run = await readRunFolder(out)
    expect(run.run.status).toBe('stopped')
    expect(run.run.endedAt).toBeDefined()
    expect(run.metrics.length).toBeGreaterThan(5)
    expect(run.metrics.every((row) => row.epoch < 100_000)).toBe(true)
    expect(run.skippedMetricLines).toBe(0)
    // A float64 run keeps float64 weights.
    const first = await readSafetensorsFile(run.snapshots.find((s) => s.model === 'cnn' && s.epoch === 0)!.path)
    expect(first.tensors['0.weight']).toMatchObject({ dtype: 'F64', shape: [1, 1, 3, 3] })
  })
})
