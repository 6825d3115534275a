/**
 * The explorer's pure logic (the table's rows, the one shift range) and the
 * inspection store that keeps the picked picture keyed to the current
 * experiment, so switching between 8x8 and 28x28 lessons never pairs a
 * picture with the wrong models.
 */
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildModel } from '../../src/engine/model'
import { ShiftSession, equivarianceRows, inputFits, modelWithWeights, shiftLimit, type ProbedModel } from '../../src/renderer/lib/explorer'
import { setLabClient, type LabClient } from '../../src/renderer/lab-client'
import { datasetKey, useInspectionStore } from '../../src/renderer/stores/inspection'
import { useTrainingStore } from '../../src/renderer/stores/training'
import type { Experiment, NamedTensors } from '../../src/shared/experiment'
import type { ValidationSamples } from '../../src/shared/lab-api'

function probed(exp: Experiment, inputShape: number[]): ProbedModel[] {
  return exp.models.map((spec) => {
    const m = buildModel(spec, inputShape)
    const weights: NamedTensors = Object.fromEntries(m.namedParams().map(({ name, param }) => [name, { shape: [...param.value.shape], data: Array.from(param.value.data) }]))
    return { id: spec.id, label: spec.label, spec, model: modelWithWeights(spec, inputShape, weights), conv: spec.layers.some((l) => l.type === 'conv2d') }
  })
}

function picture(size: number): { shape: number[]; data: Float32Array } {
  return { shape: [1, size, size], data: Float32Array.from({ length: size * size }, (_, i) => ((i % size) * 7 + Math.floor(i / size) * 3) % 5 === 0 ? 1 : 0.1) }
}

describe('the shift range', () => {
  it('is one number for the drag and the robustness map: ±3 on 8x8, ±4 on 28x28 (as far as mnist-shifted moves its digits)', () => {
    expect(shiftLimit(8)).toBe(3)
    expect(shiftLimit(28)).toBe(4)
    expect(getPreset('mnist-shifted')!.dataset).toMatchObject({ valShift: shiftLimit(28) })
  })

  it('a picture fits only models of its own input shape', () => {
    expect(inputFits(picture(8), [1, 8, 8])).toBe(true)
    expect(inputFits(picture(8), [1, 28, 28])).toBe(false)
    expect(inputFits(picture(28), null)).toBe(false)
  })
})

describe('the equivariance table', () => {
  const patterns = probed(getPreset('patterns-3')!, [1, 8, 8])
  const session = new ShiftSession(patterns, picture(8))

  it('at an even shift every CNN map compares; the MLP row is a code change with nothing inside', () => {
    const { rows, notes } = equivarianceRows(patterns, session.step(2, 0))
    expect(rows.map((r) => `${r.model} ${r.layer} ${r.kind}`)).toEqual(['cnn conv 1 + ReLU equivariance', 'cnn pool 1 equivariance', 'mlp linear 1 + ReLU change'])
    expect(rows[0].interior!).toBeLessThan(1e-5)
    expect(rows[1].interior!).toBeLessThan(1e-5)
    const mlp = rows[2]
    expect(mlp.interior).toBeNull()
    expect(mlp.error!).toBeGreaterThan(0)
    expect(notes.find((n) => n.key === mlp.note)!.text).toMatch(/no positions to shift back.*how much the code changed/)
  })

  it('at an odd shift the pool row stays, marked not comparable, with the reason in one note', () => {
    const { rows, notes } = equivarianceRows(patterns, session.step(1, 0))
    const pool = rows.find((r) => r.layer === 'pool 1')!
    expect(pool).toMatchObject({ kind: 'misaligned', error: null, interior: null })
    const note = notes.find((n) => n.key === pool.note)!
    expect(note.text).toBe(
      'TinyCNN pool 1: dx +1 is not a multiple of 2, the stride of pool 1: one pixel of its map spans 2 input pixels, ' +
        'so the shifted map would fall between pixels and there is nothing to compare with. Shifts by multiples of 2 compare.',
    )
    // The conv before the pool still compares at any shift.
    expect(rows.find((r) => r.layer === 'conv 1 + ReLU')!.kind).toBe('equivariance')
    expect(equivarianceRows(patterns, session.step(0, -3)).notes.some((n) => n.text.includes('dy −3 is not a multiple of 2'))).toBe(true)
  })

  it('MNIST CNN: after each pool the stride doubles, and the rows say which pool is to blame', () => {
    const mnist = probed(getPreset('mnist')!, [1, 28, 28])
    const s = new ShiftSession(mnist, picture(28))
    const kinds = (dx: number) => equivarianceRows(mnist, s.step(dx, 0)).rows.filter((r) => r.model === 'cnn').map((r) => `${r.layer}: ${r.kind}`)
    expect(kinds(1)).toEqual(['conv 1 + ReLU: equivariance', 'pool 1: misaligned', 'conv 2 + ReLU: misaligned', 'pool 2: misaligned'])
    expect(kinds(2)).toEqual(['conv 1 + ReLU: equivariance', 'pool 1: equivariance', 'conv 2 + ReLU: equivariance', 'pool 2: misaligned'])
    expect(kinds(4).every((k) => k.endsWith('equivariance'))).toBe(true)
    const notes = equivarianceRows(mnist, s.step(2, 0)).notes.map((n) => n.text)
    expect(notes.some((t) => t.startsWith('CNN pool 2: dx +2 is not a multiple of 4, the stride of pool 2'))).toBe(true)
    const one = equivarianceRows(mnist, s.step(1, 0)).notes.map((n) => n.text)
    expect(one.some((t) => t.startsWith('CNN pool 1, CNN conv 2 + ReLU: dx +1 is not a multiple of 2, the stride of pool 1'))).toBe(true)
  })
})

describe('the inspection store follows the current experiment', () => {
  /** A host whose replies the test releases one by one, in any order. */
  function fakeHost() {
    const waiting: { experiment: Experiment; start: number; resolve: (v: ValidationSamples) => void }[] = []
    const client = {
      validationSamples: (experiment: Experiment, start: number) => new Promise<ValidationSamples>((resolve) => waiting.push({ experiment, start, resolve })),
    } as unknown as LabClient
    function reply(i: number): void {
      const w = waiting.splice(i, 1)[0]
      const size = w.experiment.dataset.kind === 'mnist' ? 28 : 8
      w.resolve({ shape: [1, size, size], classes: ['a', 'b'], total: 100, start: w.start, images: Array.from({ length: 48 }, (_, k) => new Array(size * size).fill(k / 48)), labels: new Array(48).fill(1) })
    }
    return { client, waiting, reply }
  }
  const flush = () => new Promise((r) => setTimeout(r, 0))

  beforeEach(() => setActivePinia(createPinia()))

  it('answers only for the experiment shown: nothing while its pictures are on their way, a late reply for the last one is dropped', async () => {
    const host = fakeHost()
    setLabClient(host.client)
    const training = useTrainingStore()
    const inspection = useInspectionStore()
    const patterns = getPreset('patterns-3')!
    const mnist = getPreset('mnist')!

    training.showRecipe(patterns)
    void inspection.sync()
    host.reply(0)
    await flush()
    expect(inspection.input!.shape).toEqual([1, 8, 8])
    await inspection.pick(5)
    expect(inspection.index).toBe(5)

    // Switch to MNIST: the 8x8 picture is gone at once, not after the reply.
    training.showRecipe(mnist)
    expect(inspection.key).toBe(datasetKey(mnist))
    expect(inspection.input).toBeNull()
    expect(inspection.shape).toBeNull()
    void inspection.sync()
    expect(inspection.loading).toBe(true)

    // And back before MNIST answered: patterns' own pick is remembered; MNIST's late reply changes nothing.
    training.showRecipe(patterns)
    void inspection.sync()
    expect(inspection.input!.shape).toEqual([1, 8, 8])
    expect(inspection.index).toBe(5)
    host.reply(0)
    await flush()
    expect(inspection.input!.shape).toEqual([1, 8, 8])
    expect(inspection.loading).toBe(false)

    // MNIST again: a fresh request, its own pictures, from the first one.
    training.showRecipe(mnist)
    void inspection.sync()
    host.reply(0)
    await flush()
    expect(inspection.input!.shape).toEqual([1, 28, 28])
    expect(inspection.index).toBe(0)
    expect(inspection.drawn!.length).toBe(784)
    setLabClient(null)
  })

  it('a drawing belongs to its dataset: one of the wrong size is refused, each experiment keeps its own', async () => {
    const host = fakeHost()
    setLabClient(host.client)
    const training = useTrainingStore()
    const inspection = useInspectionStore()
    training.showRecipe(getPreset('patterns-3')!)
    void inspection.sync()
    host.reply(0)
    await flush()
    inspection.setDrawn(new Float32Array(784).fill(1))
    expect(inspection.mode).toBe('val')
    inspection.setDrawn(new Float32Array(64).fill(0.5))
    expect(inspection.mode).toBe('draw')
    training.showRecipe(getPreset('mnist')!)
    void inspection.sync()
    host.reply(0)
    await flush()
    expect(inspection.mode).toBe('val')
    training.showRecipe(getPreset('patterns-3')!)
    void inspection.sync()
    expect(inspection.mode).toBe('draw')
    expect(inspection.input!.data[0]).toBe(0.5)
    setLabClient(null)
  })
})
