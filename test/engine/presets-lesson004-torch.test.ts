/**
 * Every lesson 004 preset, after a short run (one epoch on a few digits; the
 * hand-set edge kernel as it is), saves weights that load into the matching
 * torch module (scripts/fixtures/torch_logits.py, strict load, eval mode) and
 * give the lab's logits. Skipped, with the reason printed, without torch.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildDatasets, datasetInfo } from '../../src/engine/datasets'
import { buildModel } from '../../src/engine/model'
import { createTrainer, trainToEnd } from '../../src/engine/train/trainer'
import { loadDatasetSources } from '../../src/host/dataset-sources'
import { tensorsFromWeights, weightsFromTensors } from '../../src/host/run-folder'
import { decodeSafetensors, encodeSafetensors } from '../../src/shared/safetensors'
import type { Experiment } from '../../src/shared/experiment'

const PYTHON = '/usr/bin/python3'
const torchCheck = existsSync(PYTHON) ? spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }) : null
const hasTorch = torchCheck?.status === 0
if (!hasTorch) console.log(`presets-lesson004-torch: skipped, ${torchCheck ? `torch does not import in ${PYTHON}: ${torchCheck.stderr.trim().split('\n').pop()}` : `${PYTHON} is absent`}`)

const PRESETS = ['edge-kernel', 'stride-vs-pool', '3x3-vs-5x5', 'batchnorm', 'residual', 'depthwise']

/** The preset cut to one epoch on a few pictures, so the test trains in seconds. */
function shortRun(id: string): Experiment {
  const experiment = getPreset(id)!
  if (experiment.dataset.kind !== 'mnist') return experiment
  return {
    ...experiment,
    dataset: { ...experiment.dataset, train: { ...experiment.dataset.train, count: 96 }, val: { ...experiment.dataset.val, count: 24 } },
    training: { ...experiment.training, epochs: 1, snapshotEpochs: [] },
  }
}

describe.skipIf(!hasTorch)('lesson 004 presets load into torch', () => {
  for (const id of PRESETS) {
    it(`${id}: saved weights give torch the same logits`, async () => {
      const experiment = shortRun(id)
      const data = buildDatasets(experiment.dataset, await loadDatasetSources(experiment.dataset))
      const trainer = createTrainer(experiment, data, () => {})
      trainToEnd(trainer)
      const inputShape = [...datasetInfo(experiment.dataset).inputShape]
      const dir = mkdtempSync(join(tmpdir(), `cnn-lab-${id}-`))
      try {
        for (const spec of experiment.models) {
          const bytes = encodeSafetensors(tensorsFromWeights(trainer.finalWeights(spec.id)))
          const lab = buildModel(spec, inputShape, 'float32', { initialise: false })
          lab.loadWeights(weightsFromTensors(decodeSafetensors(bytes).tensors))
          const logits = Array.from(lab.forward(data.val.x, false).data)
          // Trained weights, not the init (which torch would match as well); the edge kernel stays as set.
          const trained = trainer.finalWeights(spec.id)
          const fresh = buildModel(spec, inputShape).namedParams()
          const moved = fresh.some(({ name, param }) => Array.from(param.value.data).some((v, i) => v !== trained[name].data[i]))
          expect(moved, `${id}/${spec.id}: weights moved in training`).toBe(experiment.training.epochs > 0)
          if (id === 'edge-kernel') expect(Array.from(trained['0.weight'].data)).toEqual([-1, 1])

          writeFileSync(join(dir, 'layers.json'), JSON.stringify(spec.layers))
          writeFileSync(join(dir, 'weights.safetensors'), bytes)
          const x = data.val.x.data instanceof Float32Array ? data.val.x.data : Float32Array.from(data.val.x.data)
          writeFileSync(join(dir, 'x.safetensors'), encodeSafetensors({ x: { dtype: 'F32', shape: [...data.val.x.shape], data: x } }))
          const run = spawnSync(PYTHON, ['scripts/fixtures/torch_logits.py', join(dir, 'layers.json'), join(dir, 'weights.safetensors'), join(dir, 'x.safetensors')], {
            encoding: 'utf8', timeout: 120_000,
          })
          expect(run.stderr, `${id}/${spec.id}`).toBe('')
          const torchLogits = JSON.parse(run.stdout) as { shape: number[]; data: number[] }
          expect(torchLogits.shape[0]).toBe(data.val.y.length)
          expect(torchLogits.data.length).toBe(logits.length)
          let worst = 0
          let scale = 0
          for (let i = 0; i < logits.length; i++) {
            worst = Math.max(worst, Math.abs(logits[i] - torchLogits.data[i]))
            scale = Math.max(scale, Math.abs(logits[i]))
          }
          expect(worst, `${id}/${spec.id}: worst logit difference`).toBeLessThan(1e-4 * Math.max(1, scale))
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }, 180_000)
  }
})
