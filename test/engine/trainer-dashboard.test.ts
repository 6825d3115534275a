/**
 * What the Compare dashboard reads from the trainer: the validation confusion
 * counts and the pictures behind each cell (from the engine's own evaluation),
 * and the per-step training loss (the batch losses it computes anyway).
 */
import { describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildDatasets } from '../../src/engine/datasets'
import { createTrainer, trainToEnd } from '../../src/engine/train/trainer'
import { CELL_SAMPLE_LIMIT, type Backend, type TrainingEvent } from '../../src/shared/training-events'
import type { Experiment } from '../../src/shared/experiment'

function patterns3(epochs: number): Experiment {
  const exp = getPreset('patterns-3')!
  exp.training.epochs = epochs
  exp.training.snapshotEpochs = []
  return exp
}

function train(exp: Experiment, options: { stepPointsPerSecond?: number; stopAfter?: number; backend?: Backend } = {}) {
  const data = buildDatasets(exp.dataset)
  const events: TrainingEvent[] = []
  const trainer = createTrainer(exp, data, (e) => events.push(e), { stepPointsPerSecond: options.stepPointsPerSecond, backend: options.backend })
  if (options.stopAfter !== undefined) {
    for (let i = 0; i < options.stopAfter && trainer.step(); i++) {
      /* steps */
    }
    trainer.stop()
  } else trainToEnd(trainer)
  const error = events.find((e) => e.type === 'error')
  if (error) throw new Error(error.message)
  return { trainer, events, data }
}

/** The confusion counts by hand: each val picture alone through the model, argmax of its scores. */
function countByHand(exp: Experiment, trainer: ReturnType<typeof createTrainer>, modelId: string, data: ReturnType<typeof buildDatasets>) {
  const model = trainer.model(modelId)
  const k = data.val.classes.length
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  const size = 64
  for (let i = 0; i < data.val.y.length; i++) {
    const x = { shape: [1, 1, 8, 8], data: Float32Array.from(data.val.x.data.subarray(i * size, (i + 1) * size)) }
    const scores = Array.from(model.forward(x, false).data)
    const predicted = scores.indexOf(Math.max(...scores))
    counts[data.val.y[i]][predicted]++
  }
  return counts
}

describe('the confusion matrix, from the engine', () => {
  for (const fast of [true, false]) {
    it(`counts every val picture where it lands (${fast ? 'tiny route' : 'reference layers'})`, () => {
      const exp = patterns3(3)
      const { trainer, events, data } = train(exp, { backend: fast ? 'simd' : 'reference' })
      const rows = events.flatMap((e) => (e.type === 'epoch' ? [e.row] : []))
      for (const id of ['cnn', 'mlp']) {
        const last = rows.filter((r) => r.model === id).at(-1)!
        expect(last.epoch).toBe(3)
        const byHand = countByHand(exp, trainer, id, data)
        expect(last.confusion).toEqual(byHand)
        // The counts agree with the accuracy the same pass measured.
        const correct = byHand.reduce((s, row, t) => s + row[t], 0)
        expect(correct / data.val.y.length).toBeCloseTo(last.valAccuracy!, 10)
        // Epoch 0 has its matrix too (the untrained model), and every row sums to the class's val count.
        const first = rows.find((r) => r.model === id && r.epoch === 0)!
        expect(first.confusion!.map((r) => r.reduce((a, b) => a + b, 0))).toEqual(byHand.map((r) => r.reduce((a, b) => a + b, 0)))
      }
    })
  }

  it('lists the val indices behind each cell once the model has finished', () => {
    const exp = patterns3(2)
    const { events, data } = train(exp)
    const cells = events.filter((e) => e.type === 'confusion-cells')
    expect(cells.map((e) => e.model).sort()).toEqual(['cnn', 'mlp'])
    const row = events.flatMap((e) => (e.type === 'epoch' && e.row.model === 'cnn' ? [e.row] : [])).at(-1)!
    const cnn = cells.find((e) => e.model === 'cnn')!
    expect(cnn.epoch).toBe(2)
    const k = data.val.classes.length
    for (let t = 0; t < k; t++) {
      for (let p = 0; p < k; p++) {
        const list = cnn.cells[t * k + p]
        expect(list.length).toBe(Math.min(CELL_SAMPLE_LIMIT, row.confusion![t][p]))
        for (const index of list) expect(data.val.y[index]).toBe(t)
      }
    }
  })

  it('a stopped run still sends each model its cells (of the last epoch it evaluated), before done', () => {
    const exp = patterns3(50)
    const { events } = train(exp, { stopAfter: 5 })
    const done = events.findIndex((e) => e.type === 'done')
    expect(events[done]).toEqual({ type: 'done', status: 'stopped' })
    const cells = events.filter((e, i) => e.type === 'confusion-cells' && i < done)
    expect(cells.length).toBe(2)
  })
})

describe('per-step training loss', () => {
  it('one point per step (unthrottled), at fractional epochs, each the batch loss the step computed', () => {
    const exp = patterns3(2)
    const { events } = train(exp, { stepPointsPerSecond: Infinity })
    const batches = events.filter((e) => e.type === 'batch' && e.model === 'cnn')
    const points = events.flatMap((e) => (e.type === 'step-loss' && e.model === 'cnn' ? [e] : []))
    expect(points.length).toBe(batches.length)
    const perEpoch = (batches[0] as Extract<TrainingEvent, { type: 'batch' }>).batches
    expect(points[0].epoch).toBeCloseTo(1 / perEpoch, 12)
    expect(points.at(-1)!.epoch).toBe(2)
    for (const p of points) {
      expect(p.steps).toBe(1)
      expect(Number.isFinite(p.loss) && p.loss > 0).toBe(true)
    }
    // Positions only grow.
    for (let i = 1; i < points.length; i++) expect(points[i].epoch).toBeGreaterThan(points[i - 1].epoch)
  })

  it('the tiny route and the reference layers report the same batch losses', () => {
    const exp = patterns3(1)
    exp.training.precision = 'float64'
    const fast = train(exp, { stepPointsPerSecond: Infinity, backend: 'simd' }).events.filter((e) => e.type === 'step-loss')
    const slow = train(exp, { stepPointsPerSecond: Infinity, backend: 'reference' }).events.filter((e) => e.type === 'step-loss')
    expect(fast.length).toBe(slow.length)
    fast.forEach((e, i) => {
      const s = slow[i] as Extract<TrainingEvent, { type: 'step-loss' }>
      expect((e as typeof s).loss).toBeCloseTo(s.loss, 9)
    })
  })

  it('throttled, a point averages the steps since the last one and the epoch still ends on a point', () => {
    const exp = patterns3(2)
    const { events } = train(exp, { stepPointsPerSecond: 1e-9 })
    const points = events.flatMap((e) => (e.type === 'step-loss' && e.model === 'mlp' ? [e] : []))
    const batches = events.filter((e) => e.type === 'batch' && e.model === 'mlp').length
    // The first step makes a point (none before it), then only the epoch ends do.
    expect(points.map((p) => p.epoch)).toEqual([points[0].epoch, 1, 2])
    expect(points.reduce((s, p) => s + p.steps, 0)).toBe(batches)
    // Each point comes before its epoch's row.
    const firstRow = events.findIndex((e) => e.type === 'epoch' && e.row.model === 'mlp' && e.row.epoch === 1)
    const pointAt1 = events.findIndex((e) => e.type === 'step-loss' && e.model === 'mlp' && e.epoch === 1)
    expect(pointAt1).toBeLessThan(firstRow)
  })

  it('finite differences (lesson 000) make no step points: each of their steps is a whole epoch, drawn as one', () => {
    const exp = getPreset('edge-detector')!
    for (const m of exp.models) m.training = { ...m.training, epochs: 2 }
    const { events } = train(exp, { stepPointsPerSecond: Infinity })
    expect(events.some((e) => e.type === 'step-loss')).toBe(false)
  })
})
