import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import type { ModelSummary, NamedWeights, TrainingEvent } from '../../src/shared/training-events'
import type { Dataset } from '../../src/engine/datasets/dataset'
import { MetricRow, parseExperiment, type Experiment } from '../../src/shared/experiment'
import { RunInfo } from '../../src/shared/run-file'
import { appendLineDurable, writeFileAtomic } from '../../src/host/atomic-file'
import {
  parseMetricsLines,
  readRunFolder,
  readSafetensorsFile,
  RunFolderWriter,
  snapshotFileName,
  weightsFromTensors,
} from '../../src/host/run-folder'

let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cnnlab-run-'))
})
afterEach(() => {
  rmSync(root, { recursive: true, force: true })
})

function experiment(): Experiment {
  return getPreset('patterns-3')!
}

function summary(id: string, parameterCount: number): ModelSummary {
  return {
    id,
    label: id.toUpperCase(),
    inputShape: [1, 8, 8],
    layers: [{ index: 0, type: 'flatten', outputShape: [64], parameterCount: 0 }],
    parameterCount,
    epochs: 2,
  }
}

function weights(scale: number, precision: 'float32' | 'float64' = 'float32'): NamedWeights {
  const make = (n: number) => (precision === 'float64' ? new Float64Array(n) : new Float32Array(n)).map((_, i) => i * scale)
  return {
    '0.weight': { shape: [3, 1, 3, 3], data: make(27) },
    '0.bias': { shape: [3], data: make(3) },
  }
}

function row(model: string, epoch: number): MetricRow {
  return { model, epoch, trainLoss: 1 / (epoch + 1), trainAccuracy: epoch / 2, valLoss: null, valAccuracy: 0.5, seconds: epoch * 0.1 }
}

/** What a trainer of two models over two epochs would emit. */
function events(): TrainingEvent[] {
  return [
    { type: 'started', models: [summary('cnn', 30), summary('mlp', 1200)], trainCount: 180, valCount: 90, classes: ['a', 'b', 'c'] },
    { type: 'snapshot', model: 'cnn', epoch: 0, weights: weights(0.5) },
    { type: 'batch', model: 'cnn', epoch: 1, batch: 1, batches: 10, samplesPerSecond: 1000 },
    { type: 'epoch', row: row('cnn', 1) },
    { type: 'epoch', row: row('mlp', 1) },
    { type: 'snapshot', model: 'cnn', epoch: 1, weights: weights(1) },
    { type: 'epoch', row: row('cnn', 2) },
    { type: 'epoch', row: row('mlp', 2) },
    { type: 'done', status: 'completed' },
  ]
}

function listAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()
}

const fixedNow = () => new Date('2030-01-02T03:04:05.000Z')

describe('RunFolderWriter', () => {
  it('writes every file of a run folder from trainer events', async () => {
    const dir = join(root, 'run-1')
    const dataset = (n: number): Dataset => ({
      x: { shape: [n, 1, 2, 2], data: Float32Array.from({ length: n * 4 }, (_, i) => i / 10) },
      y: Int32Array.from({ length: n }, (_, i) => i % 3),
      classes: ['a', 'b', 'c'],
    })
    const writer = await RunFolderWriter.create(dir, experiment(), {
      saveData: { train: dataset(5), val: dataset(2) },
      preset: 'patterns-3',
      engineVersion: '9.9.9',
      now: fixedNow,
    })
    for (const event of events()) writer.handle(event)
    await writer.writeFinalWeights('cnn', weights(2))
    await writer.writeFinalWeights('mlp', weights(3))
    await writer.finish()

    expect(listAll(dir)).toEqual([
      'data',
      'data/train.safetensors',
      'data/val.safetensors',
      'experiment.cnnlab.json',
      'metrics.jsonl',
      'run.json',
      'snapshots',
      'snapshots/cnn',
      'snapshots/cnn/epoch-0000.safetensors',
      'snapshots/cnn/epoch-0001.safetensors',
      'weights',
      'weights/cnn.safetensors',
      'weights/mlp.safetensors',
    ])

    // The recipe, exactly as run, without results, pretty-printed.
    const recipeText = readFileSync(join(dir, 'experiment.cnnlab.json'), 'utf8')
    expect(recipeText).toContain('\n  "format": "cnn-lab.experiment"')
    const recipe = parseExperiment(JSON.parse(recipeText))
    expect(recipe.ok && recipe.value).toEqual(experiment())

    const run = RunInfo.parse(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')))
    expect(run).toMatchObject({
      format: 'cnn-lab.run',
      version: 1,
      status: 'completed',
      startedAt: '2030-01-02T03:04:05.000Z',
      endedAt: '2030-01-02T03:04:05.000Z',
      engineVersion: '9.9.9',
      preset: 'patterns-3',
      name: experiment().name,
      trainCount: 180,
      valCount: 90,
      savedData: true,
    })
    expect(run.models.map((m) => [m.id, m.parameterCount])).toEqual([
      ['cnn', 30],
      ['mlp', 1200],
    ])
    expect(run.final).toEqual({ cnn: row('cnn', 2), mlp: row('mlp', 2) })
    expect(run.error).toBeUndefined()

    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trimEnd().split('\n')
    expect(lines.map((l) => MetricRow.parse(JSON.parse(l)))).toEqual([row('cnn', 1), row('mlp', 1), row('cnn', 2), row('mlp', 2)])

    const snapshot = await readSafetensorsFile(join(dir, 'snapshots/cnn/epoch-0001.safetensors'))
    expect(snapshot.metadata).toEqual({ format: 'pt', model: 'cnn', epoch: '1' })
    expect(snapshot.tensors['0.weight'].dtype).toBe('F32')
    expect(snapshot.tensors['0.weight'].shape).toEqual([3, 1, 3, 3])
    expect(Array.from(snapshot.tensors['0.bias'].data as Float32Array)).toEqual([0, 1, 2])

    const train = await readSafetensorsFile(join(dir, 'data/train.safetensors'))
    expect(train.tensors.x).toMatchObject({ dtype: 'F32', shape: [5, 1, 2, 2] })
    expect(train.tensors.y.dtype).toBe('I64')
    expect(Array.from(train.tensors.y.data as BigInt64Array)).toEqual([0n, 1n, 2n, 0n, 1n])
  })

  it("records each model's training route in run.json from the started event, and none where the engine named none", async () => {
    const dir = join(root, 'routes')
    const writer = await RunFolderWriter.create(dir, experiment())
    const route = { id: 'fused-simd', cores: 2, backend: 'relaxed-simd', label: 'fused SIMD, two cores' } as const
    writer.handle({ type: 'started', models: [{ ...summary('cnn', 30), route }, summary('mlp', 1200)], trainCount: 180, valCount: 90, classes: ['a', 'b', 'c'] })
    writer.handle({ type: 'done', status: 'completed' })
    await writer.finish()
    const written = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'))
    expect(written.models[0].route).toEqual(route)
    expect('route' in written.models[1]).toBe(false)
    expect((await readRunFolder(dir)).run.models.map((m) => m.route?.label)).toEqual(['fused SIMD, two cores', undefined])
  })

  it('copies snapshot weights when the event arrives, not when the file is written', async () => {
    const dir = join(root, 'run')
    const writer = await RunFolderWriter.create(dir, experiment())
    const live = weights(1)
    writer.handle({ type: 'snapshot', model: 'cnn', epoch: 3, weights: live })
    // The trainer keeps training the same buffers.
    ;(live['0.bias'].data as Float32Array).fill(99)
    await writer.finish('completed')
    const file = await readSafetensorsFile(join(dir, 'snapshots/cnn', snapshotFileName(3)))
    expect(Array.from(file.tensors['0.bias'].data as Float32Array)).toEqual([0, 1, 2])
  })

  it('keeps a float64 run in float64', async () => {
    const dir = join(root, 'run')
    const writer = await RunFolderWriter.create(dir, getPreset('edge-detector')!)
    await writer.writeFinalWeights('cnn', weights(Math.PI, 'float64'))
    await writer.finish('completed')
    const file = await readSafetensorsFile(join(dir, 'weights/cnn.safetensors'))
    expect(file.tensors['0.weight'].dtype).toBe('F64')
    const back = weightsFromTensors(file.tensors)
    expect(back['0.weight'].data).toBeInstanceOf(Float64Array)
    expect(back['0.weight'].data[2]).toBe(2 * Math.PI)
  })

  it('writes run.json as running at once, and records a stop or a failure', async () => {
    const stopped = join(root, 'stopped')
    const writer = await RunFolderWriter.create(stopped, experiment())
    expect(JSON.parse(readFileSync(join(stopped, 'run.json'), 'utf8')).status).toBe('running')
    writer.handle({ type: 'epoch', row: row('cnn', 1) })
    writer.handle({ type: 'done', status: 'stopped' })
    await writer.finish()
    const run = JSON.parse(readFileSync(join(stopped, 'run.json'), 'utf8'))
    expect(run.status).toBe('stopped')
    expect(run.endedAt).toEqual(expect.any(String))
    expect(run.final.cnn.epoch).toBe(1)

    const failed = join(root, 'failed')
    const writer2 = await RunFolderWriter.create(failed, experiment())
    writer2.handle({ type: 'error', message: 'model "cnn" diverged at epoch 3' })
    await writer2.finish()
    const run2 = JSON.parse(readFileSync(join(failed, 'run.json'), 'utf8'))
    expect(run2).toMatchObject({ status: 'failed', error: 'model "cnn" diverged at epoch 3' })

    // Events after the end change nothing.
    writer2.handle({ type: 'epoch', row: row('cnn', 9) })
    await writer2.idle()
    expect(existsSync(join(failed, 'metrics.jsonl'))).toBe(false)
  })

  it('leaves no temp files behind', async () => {
    const dir = join(root, 'run')
    const writer = await RunFolderWriter.create(dir, experiment())
    for (const event of events()) writer.handle(event)
    await writer.finish()
    const names = listAll(dir)
    expect(names.filter((n) => !/(\.json|\.jsonl|\.safetensors)$/.test(n) && !['snapshots', 'snapshots/cnn'].includes(n))).toEqual([])
  })

  it('names the path and the reason when the parent folder is missing', async () => {
    const dir = join(root, 'no-such-parent', 'run')
    await expect(RunFolderWriter.create(dir, experiment())).rejects.toThrow(
      `cannot create run folder ${dir}: its parent folder ${join(root, 'no-such-parent')} does not exist`,
    )
  })

  it('refuses a folder that is not empty, accepts an empty one, refuses a file', async () => {
    const full = join(root, 'full')
    mkdirSync(full)
    writeFileSync(join(full, 'keep.txt'), 'mine')
    await expect(RunFolderWriter.create(full, experiment())).rejects.toThrow(`${full} as a run folder: it already exists and is not empty`)
    expect(readdirSync(full)).toEqual(['keep.txt'])

    const empty = join(root, 'empty')
    mkdirSync(empty)
    const writer = await RunFolderWriter.create(empty, experiment())
    await writer.finish('completed')
    expect(existsSync(join(empty, 'run.json'))).toBe(true)

    const file = join(root, 'file')
    writeFileSync(file, '')
    await expect(RunFolderWriter.create(file, experiment())).rejects.toThrow('it is a file, not a folder')
  })

  it('reports a write that fails mid-run from finish, naming the file', async () => {
    const dir = join(root, 'run')
    const writer = await RunFolderWriter.create(dir, experiment())
    // Something takes the snapshot folder's place.
    writeFileSync(join(dir, 'snapshots'), 'in the way')
    writer.handle({ type: 'snapshot', model: 'cnn', epoch: 0, weights: weights(1) })
    await writer.idle()
    expect(writer.failure?.message).toMatch(/cannot create folder .*snapshots\/cnn/)
    await expect(writer.finish('completed')).rejects.toThrow(/snapshots\/cnn/)
  })
})

describe('readRunFolder', () => {
  it('reads back what the writer wrote and skips a torn last line', async () => {
    const dir = join(root, 'run')
    const writer = await RunFolderWriter.create(dir, experiment(), { now: fixedNow })
    for (const event of events()) writer.handle(event)
    await writer.writeFinalWeights('cnn', weights(2))
    await writer.finish()
    // A kill in the middle of a write tears the last line.
    appendFileSync(join(dir, 'metrics.jsonl'), '{"model":"cnn","epoch":3,"trainLo')

    const contents = await readRunFolder(dir)
    expect(contents.dir).toBe(dir)
    expect(contents.experiment).toEqual(experiment())
    expect(contents.run.status).toBe('completed')
    expect(contents.metrics).toEqual([row('cnn', 1), row('mlp', 1), row('cnn', 2), row('mlp', 2)])
    expect(contents.skippedMetricLines).toBe(1)
    expect(contents.snapshots).toEqual([
      { model: 'cnn', epoch: 0, path: join(dir, 'snapshots/cnn/epoch-0000.safetensors') },
      { model: 'cnn', epoch: 1, path: join(dir, 'snapshots/cnn/epoch-0001.safetensors') },
    ])
    expect(contents.weights).toEqual({ cnn: join(dir, 'weights/cnn.safetensors') })
    expect(contents.data).toEqual({})
  })

  it('counts lines that are not metric rows, and ignores blank ones', () => {
    const good = JSON.stringify(row('cnn', 1))
    expect(parseMetricsLines(`${good}\n\n{"model":"cnn"}\nnot json\n${good}\n`)).toEqual({
      metrics: [row('cnn', 1), row('cnn', 1)],
      skipped: 2,
    })
  })

  it('names the file that is missing or broken', async () => {
    await expect(readRunFolder(join(root, 'nothing'))).rejects.toThrow(`cannot read ${join(root, 'nothing', 'experiment.cnnlab.json')}: no such file or folder`)
    const dir = join(root, 'run')
    const writer = await RunFolderWriter.create(dir, experiment())
    await writer.finish('completed')
    writeFileSync(join(dir, 'run.json'), '{"format":"cnn-lab.run","version":1,"status":"exploded"}')
    await expect(readRunFolder(dir)).rejects.toThrow(`${join(dir, 'run.json')}: status:`)
    writeFileSync(join(dir, 'weights.safetensors'), 'junk')
    await expect(readSafetensorsFile(join(dir, 'weights.safetensors'))).rejects.toThrow(`${join(dir, 'weights.safetensors')}: file is 4 bytes`)
  })
})

describe('atomic-file', () => {
  it('replaces a file whole and leaves no temp file', async () => {
    const path = join(root, 'a.json')
    await writeFileAtomic(path, 'first')
    await writeFileAtomic(path, new Uint8Array([104, 105]))
    expect(readFileSync(path, 'utf8')).toBe('hi')
    expect(readdirSync(root)).toEqual(['a.json'])
  })

  it('appends whole lines', async () => {
    const path = join(root, 'log.jsonl')
    await appendLineDurable(path, '{"a":1}')
    await appendLineDurable(path, '{"a":2}')
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n{"a":2}\n')
    await expect(appendLineDurable(path, 'two\nlines')).rejects.toThrow('must not contain a newline')
  })

  it('keeps the step-loss points (steps.jsonl) and the confusion cells (confusion/<model>.json) and reads them back', async () => {
    const dir = join(root, 'steps')
    const writer = await RunFolderWriter.create(dir, experiment())
    writer.handle({ type: 'started', models: [summary('cnn', 30)], trainCount: 180, valCount: 90, classes: ['a', 'b', 'c'] })
    writer.handle({ type: 'epoch', row: { ...row('cnn', 0), confusion: [[30, 0, 0], [30, 0, 0], [30, 0, 0]] } })
    // More points than one group holds, so some go to disk before the epoch row and the rest at it.
    for (let i = 1; i <= 450; i++) writer.handle({ type: 'step-loss', model: 'cnn', epoch: i / 450, loss: 2 - i / 450, steps: 3 })
    writer.handle({ type: 'epoch', row: { ...row('cnn', 1), confusion: [[29, 1, 0], [0, 30, 0], [0, 0, 30]] } })
    const cells = Array.from({ length: 9 }, (_, i) => (i === 1 ? [7] : []))
    writer.handle({ type: 'confusion-cells', model: 'cnn', epoch: 1, cells })
    writer.handle({ type: 'step-loss', model: 'cnn', epoch: 1.5, loss: 0.5, steps: 1 })
    writer.handle({ type: 'done', status: 'stopped' })
    await writer.finish()
    const lines = readFileSync(join(dir, 'steps.jsonl'), 'utf8').trim().split('\n')
    expect(lines).toHaveLength(451)
    const read = await readRunFolder(dir)
    expect(read.steps).toHaveLength(451)
    expect(read.steps[0]).toEqual({ model: 'cnn', epoch: 1 / 450, loss: 2 - 1 / 450, steps: 3 })
    expect(read.steps.at(-1)).toEqual({ model: 'cnn', epoch: 1.5, loss: 0.5, steps: 1 })
    expect(read.confusionCells).toEqual({ cnn: { model: 'cnn', epoch: 1, cells } })
    expect(read.metrics.at(-1)!.confusion).toEqual([[29, 1, 0], [0, 30, 0], [0, 0, 30]])
    expect(read.run.final.cnn.confusion).toEqual([[29, 1, 0], [0, 30, 0], [0, 0, 30]])
    // A torn last line (a killed run) costs that point only.
    appendFileSync(join(dir, 'steps.jsonl'), '\n{"model":"cnn","epo')
    expect((await readRunFolder(dir)).steps).toHaveLength(451)
  })
})
