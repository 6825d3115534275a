/**
 * Where a two-core batch's time goes, from the trainer's side: the mnist CNN
 * (as bench/profile-training.ts trains it) with the real helper, its channel
 * wrapped so that each hand-over is timed. Prints, per batch, the
 * milliseconds spent computing this thread's half (compute → wait), blocked
 * for the helper's gradients (wait), stepping (update → updated), blocked for
 * the helper's step (updated), and the rest of the step (gather, copies,
 * events); and per evaluation, the time blocked for the helper's half.
 *
 *   node --import tsx bench/two-core-timeline.ts [epochs]
 */
import '../src/host/wasm-features'
import { getPreset } from '../src/engine/experiment/presets'
import { buildDatasets } from '../src/engine/datasets'
import { createTrainer } from '../src/engine/train/trainer'
import type { DataParallel, ReplicaChannel } from '../src/engine/train/data-parallel'
import { loadMnistSource } from '../src/host/mnist-source'
import { createGradientHelper } from '../src/host/parallel/gradient-helper'

const epochs = Number(process.argv[2] ?? 3)
const experiment = getPreset('mnist')!
experiment.models = experiment.models.filter((m) => m.id === 'cnn')
experiment.dataset = { ...experiment.dataset, train: { count: 2048, seed: 1 }, val: { count: 512, seed: 2 } }
experiment.training.epochs = epochs
experiment.training.snapshotEpochs = []
const data = buildDatasets(experiment.dataset, { mnist: loadMnistSource() })
const helper = createGradientHelper({ cores: 2 })
if (!helper) throw new Error('this machine has one core')

const total = { own: 0, waitGradients: 0, step: 0, waitStep: 0, evaluateOwn: 0, waitEvaluation: 0, batches: 0 }
let mark = 0
const timed: DataParallel = {
  cores: helper.cores,
  attach(spec, weights, sets) {
    const inner = helper.attach(spec, weights, sets)
    if (!inner) return null
    const lap = () => {
      const now = performance.now()
      const ms = now - mark
      mark = now
      return ms
    }
    const channel: ReplicaChannel = {
      x: inner.x, y: inner.y, mine: inner.mine, stepped: inner.stepped, predicted: inner.predicted,
      compute(count, n) { inner.compute(count, n); lap(); total.batches++ },
      wait() { total.own += lap(); const g = inner.wait(); total.waitGradients += lap(); return g },
      update() { inner.update(); lap() },
      updated() { total.step += lap(); const s = inner.updated(); total.waitStep += lap(); return s },
      evaluate(set, start, count) { inner.evaluate(set, start, count); lap() },
      evaluated() { total.evaluateOwn += lap(); const r = inner.evaluated(); total.waitEvaluation += lap(); return r },
    }
    return channel
  },
  close: () => helper.close(),
}
let trained = 0
const trainer = createTrainer(experiment, data, (event) => {
  if (event.type === 'epoch') trained = event.row.seconds ?? 0
}, { parallel: timed })
const t0 = performance.now()
while (trainer.step()) { /* train */ }
const wall = performance.now() - t0
helper.close()
const perBatch = (ms: number) => +(ms / total.batches).toFixed(2)
const batchMs = (trained * 1000) / total.batches
process.stdout.write(JSON.stringify({
  batches: total.batches,
  msPerBatch: +batchMs.toFixed(2),
  ownHalf: perBatch(total.own),
  waitForHelperGradients: perBatch(total.waitGradients),
  ownStep: perBatch(total.step),
  waitForHelperStep: perBatch(total.waitStep),
  restOfBatch: +(batchMs - (total.own + total.waitGradients + total.step + total.waitStep) / total.batches).toFixed(2),
  evaluationOwnSeconds: +(total.evaluateOwn / 1000).toFixed(2),
  evaluationWaitSeconds: +(total.waitEvaluation / 1000).toFixed(2),
  wallSeconds: +(wall / 1000).toFixed(2),
}) + '\n')
