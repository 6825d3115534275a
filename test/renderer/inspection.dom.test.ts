/**
 * The inspection store keeps the picked picture keyed to the current
 * experiment, so switching between 8x8 and 28x28 lessons never pairs a
 * picture with the wrong models. (A .dom test: it reaches the lab client, so
 * it is type-checked with the renderer's DOM config, tsconfig.web.json.)
 */
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { setLabClient, type LabClient } from '../../src/renderer/lab-client'
import { datasetKey, useInspectionStore } from '../../src/renderer/stores/inspection'
import { useTrainingStore } from '../../src/renderer/stores/training'
import type { Experiment } from '../../src/shared/experiment'
import type { ValidationSamples } from '../../src/shared/lab-api'

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
