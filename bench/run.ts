/**
 * `npm run bench`: one JSON line per workload, with the target the issues ask
 * for beside it. Wall-clock numbers on this machine; never asserted in tests.
 */
import { getPreset } from '../src/engine/experiment/presets'
import { buildDatasets } from '../src/engine/datasets'
import { createTrainer, trainToEnd } from '../src/engine/train/trainer'
import type { Experiment } from '../src/shared/experiment'
import { loadMnistSource } from '../src/host/mnist-source'

interface BenchLine {
  name: string
  value: number
  unit: string
  target?: string
  note?: string
}

function print(line: BenchLine): void {
  process.stdout.write(JSON.stringify(line) + '\n')
}

function timeRun(experiment: Experiment, repeats: number): number {
  const data = buildDatasets(experiment.dataset, {})
  let best = Infinity
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now()
    trainToEnd(createTrainer(experiment, data, () => {}))
    best = Math.min(best, performance.now() - t0)
  }
  return best
}

/** Training samples/s of one model of the mnist preset at batch 64 (no per-epoch evaluation). */
function mnistThroughput(modelId: string, seconds: number): number {
  const experiment = getPreset('mnist')!
  experiment.models = experiment.models.filter((m) => m.id === modelId)
  experiment.dataset = { ...experiment.dataset, train: { count: 2048, seed: 1 }, val: { count: 64, seed: 2 } }
  experiment.training.epochs = 1000
  experiment.training.snapshotEpochs = []
  const data = buildDatasets(experiment.dataset, { mnist: loadMnistSource() })
  let samples = 0
  const trainer = createTrainer(experiment, data, (event) => {
    if (event.type === 'batch') samples += 64
  })
  trainer.step() // initial evaluation, not timed
  for (let i = 0; i < 3; i++) trainer.step() // warm-up
  samples = 0
  const t0 = performance.now()
  while (performance.now() - t0 < seconds * 1000) trainer.step()
  return samples / ((performance.now() - t0) / 1000)
}

const edge = timeRun(getPreset('edge-detector')!, 3)
print({ name: 'edge-detector preset (both detectors, finite differences)', value: +(edge / 1000).toFixed(3), unit: 's', target: '<= 0.3 s', note: "lesson 000's Python: 29.6 s" })

const patterns = timeRun(getPreset('patterns-3')!, 5)
print({ name: 'patterns-3 preset (CNN + MLP, 80 epochs)', value: +patterns.toFixed(1), unit: 'ms', target: '<= 30 ms', note: 'NumPy 2.8 s, PyTorch 0.245 s' })

print({ name: 'mnist CNN training, batch 64', value: Math.round(mnistThroughput('cnn', 8)), unit: 'samples/s', target: '>= 1000 (one core)', note: 'PyTorch here ~850 (1 thread)' })
print({ name: 'mnist MLP training, batch 64', value: Math.round(mnistThroughput('mlp', 4)), unit: 'samples/s', target: '>= 10000', note: 'PyTorch here ~8,100' })
