/**
 * A short, fixed piece of MNIST CNN training to run under a profiler:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-training.ts [cores] [epochs] [batch]
 *   node scripts/cpuprofile-summary.mjs /tmp/prof/*.cpuprofile
 *
 * The mnist preset's CNN alone, on 2,048 training and 512 validation images
 * (so each epoch's evaluation is in the profile in its real proportion to
 * training: the preset evaluates 10,000 images per 8,000 trained), one core or
 * two (the real helper thread: each thread writes its own profile). Prints the
 * wall time, so the profile's shares can be turned into milliseconds, and the
 * CPU time of the whole process (every thread) per thousand trained samples:
 * two cores doing the same work as one show the same CPU time, and whatever
 * the second core adds (hand-overs, copies, smaller GEMMs) shows above it.
 */
import '../src/host/wasm-features'
import { getPreset } from '../src/engine/experiment/presets'
import { buildDatasets } from '../src/engine/datasets'
import { createTrainer } from '../src/engine/train/trainer'
import { loadMnistSource } from '../src/host/mnist-source'
import { createGradientHelper } from '../src/host/parallel/gradient-helper'

const cores = Number(process.argv[2] ?? 1)
const epochs = Number(process.argv[3] ?? 3)
const batch = Number(process.argv[4] ?? 64)
const experiment = getPreset('mnist')!
experiment.models = experiment.models.filter((m) => m.id === 'cnn')
experiment.dataset = { ...experiment.dataset, train: { count: 2048, seed: 1 }, val: { count: 512, seed: 2 } }
experiment.training.epochs = epochs
experiment.training.snapshotEpochs = []
experiment.training.batchSize = batch
const data = buildDatasets(experiment.dataset, { mnist: loadMnistSource() })
const helper = cores > 1 ? createGradientHelper({ cores }) : null
if (cores > 1 && !helper) throw new Error('cores: this machine has one core')
let route = ''
let trained = 0
const trainer = createTrainer(experiment, data, (event) => {
  if (event.type === 'started') route = event.models.map((m) => m.route?.label).join(', ')
  if (event.type === 'epoch') trained = event.row.seconds ?? 0 // a running total
}, { parallel: helper ?? undefined })
const t0 = performance.now()
const cpu0 = process.cpuUsage()
while (trainer.step()) { /* train */ }
const wall = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
const cpuSeconds = (cpu.user + cpu.system) / 1e6
helper?.close()
process.stdout.write(JSON.stringify({ route, epochs, wallSeconds: +wall.toFixed(2), trainingSeconds: +trained.toFixed(2), samplesPerSecond: Math.round((epochs * 2048) / trained), batch, cpuSeconds: +cpuSeconds.toFixed(2), cpuMsPer1000Samples: Math.round((cpuSeconds * 1e6) / (epochs * 2048)) }) + '\n')
