/**
 * training.augment: the shifts are seeded, in range, the same for every model,
 * and the layers and the WebAssembly fast path train on the same moved pictures.
 */
import { describe, expect, it } from 'vitest'
import { epochShifts, gatherBatch } from '../../src/engine/train/augment'
import { getPreset } from '../../src/engine/experiment/presets'
import { checkExperiment } from '../../src/engine/experiment/check'
import { buildDatasets } from '../../src/engine/datasets'
import { shiftImage } from '../../src/engine/datasets/shift'
import { createTrainer, trainToEnd } from '../../src/engine/train/trainer'
import type { Backend } from '../../src/shared/training-events'
import type { TrainingEvent } from '../../src/shared/training-events'
import { parseExperiment, type Experiment, type MetricRow } from '../../src/shared/experiment'

function train(experiment: Experiment, backend?: Backend): MetricRow[] {
  const events: TrainingEvent[] = []
  trainToEnd(createTrainer(experiment, buildDatasets(experiment.dataset), (e) => events.push(e), { backend }))
  const error = events.find((e) => e.type === 'error')
  if (error) throw new Error(error.message)
  return events.flatMap((e) => (e.type === 'epoch' ? [e.row] : []))
}

/** A small patterns run: centred training pictures, validation moved by up to 2 px. */
function shiftedPatterns(shift: number | null): Experiment {
  const experiment = getPreset('patterns-shifted')!
  experiment.dataset = { ...experiment.dataset, train: { count: 20, seed: 18 }, val: { count: 20, seed: 111 } }
  experiment.training.epochs = 30
  experiment.training.snapshotEpochs = []
  if (shift !== null) experiment.training.augment = { shift }
  return experiment
}

describe('augment: the shifts', () => {
  it('are seeded by the training seed and epoch, cover [-N, N] on both axes, and differ between epochs', () => {
    const a = epochShifts(11, 1, 500, 2)
    expect(epochShifts(11, 1, 500, 2)).toEqual(a)
    expect(epochShifts(11, 2, 500, 2)).not.toEqual(a)
    expect(epochShifts(12, 1, 500, 2)).not.toEqual(a)
    expect(new Set(a)).toEqual(new Set([-2, -1, 0, 1, 2]))
  })

  it('move each gathered picture by its own shift, zero fill, labels kept', () => {
    const { train } = buildDatasets(getPreset('patterns-3')!.dataset)
    const order = Int32Array.from([4, 0, 7])
    const shifts = epochShifts(3, 1, train.y.length, 3)
    const x = new Float32Array(3 * 64)
    const y = new Int32Array(3)
    gatherBatch(train, order, 0, 3, x, y, shifts)
    for (let i = 0; i < 3; i++) {
      const index = order[i]
      const expected = new Float32Array(64)
      shiftImage(train.x.data, expected, 1, 8, 8, shifts[2 * index], shifts[2 * index + 1], index * 64, 0)
      expect(Array.from(x.subarray(i * 64, (i + 1) * 64))).toEqual(Array.from(expected))
      expect(y[i]).toBe(train.y[index])
    }
  })
})

describe('augment: training', () => {
  it('is a plain optional field: absent and shift 0 train alike; finite differences refuse it', () => {
    expect(parseExperiment({ ...shiftedPatterns(null), training: { ...shiftedPatterns(null).training, augment: { shift: 9 } } }).ok).toBe(false)
    const timeless = (rows: MetricRow[]) => rows.map(({ seconds: _, ...row }) => row)
    expect(timeless(train(shiftedPatterns(0)))).toEqual(timeless(train(shiftedPatterns(null))))
    const edges = getPreset('edge-detector')!
    edges.training.augment = { shift: 1 }
    expect(checkExperiment(edges)).toMatchObject({ ok: false, issues: [{ path: 'training.augment' }] })
  })

  it('lets the MLP, shown moved pictures, catch up on moved validation pictures; train accuracy is on the unmoved set', () => {
    const plain = train(shiftedPatterns(null))
    const augmented = train(shiftedPatterns(2))
    const final = (rows: MetricRow[], model: string) => rows.filter((r) => r.model === model).at(-1)!
    expect(final(plain, 'mlp').valAccuracy!).toBeLessThan(0.6)
    expect(final(augmented, 'mlp').valAccuracy!).toBeGreaterThan(final(plain, 'mlp').valAccuracy! + 0.25)
    expect(augmented).not.toEqual(plain)
  })

  it('gives the same run on the tiny route and on the reference layers (every route moves the batch with gatherBatch)', () => {
    const experiment = shiftedPatterns(2)
    experiment.training.epochs = 5
    experiment.training.precision = 'float64'
    const fast = train(experiment, 'simd')
    const layers = train(experiment, 'reference')
    expect(layers.map((r) => r.valAccuracy)).toEqual(fast.map((r) => r.valAccuracy))
    for (let i = 0; i < fast.length; i++) expect(layers[i].trainLoss!).toBeCloseTo(fast[i].trainLoss!, 9)
  })
})
