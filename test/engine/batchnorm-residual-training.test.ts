/**
 * A model with batch norm and a residual block trains through the trainer (on
 * the reference route), and its saved weights, written as a run folder writes
 * them (safetensors, the batch count as I64), load into the matching torch
 * module with `load_state_dict(strict=True)` and give the same logits.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseExperiment, type ExperimentInput } from '../../src/shared/experiment'
import { decodeSafetensors, encodeSafetensors } from '../../src/shared/safetensors'
import { tensorsFromWeights, weightsFromTensors } from '../../src/host/run-folder'
import { buildDatasets } from '../../src/engine/datasets'
import { buildModel } from '../../src/engine/model'
import { createTrainer, trainToEnd } from '../../src/engine/train/trainer'
import type { TrainingEvent } from '../../src/shared/training-events'

const PYTHON = '/usr/bin/python3'
const hasTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0

const input: ExperimentInput = {
  format: 'cnn-lab.experiment',
  version: 2,
  name: 'batch norm and residual',
  dataset: { kind: 'patterns', classes: ['vertical', 'horizontal', 'diagonal'], train: { count: 20, seed: 1 }, val: { count: 10, seed: 2 } },
  models: [
    {
      id: 'resnet',
      label: 'BN + residual',
      init: { scheme: 'he-normal', seed: 5 },
      layers: [
        { type: 'conv2d', inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 },
        { type: 'batchnorm2d', numFeatures: 4 },
        { type: 'relu' },
        {
          type: 'residual',
          layers: [
            { type: 'conv2d', inChannels: 4, outChannels: 4, kernelSize: [3, 1], padding: [1, 0] },
            { type: 'batchnorm2d', numFeatures: 4 },
            { type: 'relu' },
          ],
        },
        { type: 'avgpool2d', kernelSize: 2 },
        { type: 'globalavgpool2d' },
        { type: 'linear', inFeatures: 4, outFeatures: 3 },
      ],
    },
  ],
  training: { epochs: 4, learningRate: 0.1, batchSize: 12, seed: 3 },
}

describe('batch norm + residual through the trainer', () => {
  const parsed = parseExperiment(input)
  if (!parsed.ok) throw new Error(parsed.error)
  const experiment = parsed.value
  const data = buildDatasets(experiment.dataset)

  it('takes the reference route, learns, and moves the running statistics', () => {
    const events: TrainingEvent[] = []
    const trainer = createTrainer(experiment, data, (e) => events.push(e))
    trainToEnd(trainer)
    const started = events.find((e) => e.type === 'started')
    expect(started?.type === 'started' && started.models[0].route?.id).toBe('reference')
    const rows = events.flatMap((e) => (e.type === 'epoch' ? [e.row] : []))
    expect(rows.at(-1)!.trainLoss!).toBeLessThan(rows[0].trainLoss!)
    const weights = trainer.finalWeights('resnet')
    // 60 pictures (20 per class) in batches of 12: 5 train-mode batches an epoch, 4 epochs.
    // Evaluation (eval mode) must not count.
    expect(data.train.y.length).toBe(60)
    expect(Array.from(weights['1.num_batches_tracked'].data)).toEqual([20])
    expect(Array.from(weights['3.body.1.running_var'].data).some((v) => v !== 1)).toBe(true)
  })

  it.skipIf(!hasTorch)('saves weights that load into the torch module with the same logits', () => {
    const trainer = createTrainer(experiment, data, () => {})
    trainToEnd(trainer)
    const bytes = encodeSafetensors(tensorsFromWeights(trainer.finalWeights('resnet')))
    const decoded = decodeSafetensors(bytes)
    expect(decoded.tensors['1.num_batches_tracked'].dtype).toBe('I64')
    // The saved file reloads into the lab's own model too.
    const lab = buildModel(experiment.models[0], [1, 8, 8], 'float32', { initialise: false })
    lab.loadWeights(weightsFromTensors(decoded.tensors))
    const logits = Array.from(lab.forward(data.val.x, false).data)

    const dir = mkdtempSync(join(tmpdir(), 'cnn-lab-bn-'))
    try {
      writeFileSync(join(dir, 'layers.json'), JSON.stringify(experiment.models[0].layers))
      writeFileSync(join(dir, 'weights.safetensors'), bytes)
      const x = data.val.x.data instanceof Float32Array ? data.val.x.data : Float32Array.from(data.val.x.data)
      writeFileSync(join(dir, 'x.safetensors'), encodeSafetensors({ x: { dtype: 'F32', shape: [...data.val.x.shape], data: x } }))
      const run = spawnSync(PYTHON, ['scripts/fixtures/torch_logits.py', join(dir, 'layers.json'), join(dir, 'weights.safetensors'), join(dir, 'x.safetensors')], {
        encoding: 'utf8', timeout: 120_000,
      })
      expect(run.stderr).toBe('')
      const torchLogits = JSON.parse(run.stdout) as { shape: number[]; data: number[] }
      expect(torchLogits.shape).toEqual([data.val.y.length, 3])
      let worst = 0
      for (let i = 0; i < logits.length; i++) worst = Math.max(worst, Math.abs(logits[i] - torchLogits.data[i]))
      expect(worst).toBeLessThan(1e-4)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
