/**
 * `npm run bench`: one JSON line per workload, with the target the issues ask
 * for beside it. Wall-clock numbers on this machine, best of several runs;
 * never asserted in tests. Where Debian's PyTorch is installed
 * (`/usr/bin/python3 -c "import torch"`), bench/torch_peer.py runs the same
 * workloads first, and each line carries PyTorch's number and how many times
 * faster the lab is (`speedup` > 1: the lab is faster). See docs/bench.md.
 *
 * All numbers are one core except the "two cores" line (the engine's
 * data-parallel path, compared with PyTorch on 2 threads) and the two
 * "Train to done" lines (./end-to-end.ts: the mnist preset through the
 * terminal and browser doors, which train on two cores; PyTorch on 2 threads
 * trains and evaluates the same, data already in memory, no run files).
 * BENCH_QUICK=1 shortens the timed loops.
 */
// First: relaxed SIMD on (Node 20) before the engine compiles its kernels.
import '../src/host/wasm-features'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { getPreset } from '../src/engine/experiment/presets'
import { buildDatasets } from '../src/engine/datasets'
import { buildModel } from '../src/engine/model'
import { createTrainer, trainToEnd } from '../src/engine/train/trainer'
import { backendKernels, defaultBackend } from '../src/engine/backend'
import { useFusedStages } from '../src/engine/routes/fused-simd'
import type { Experiment } from '../src/shared/experiment'
import type { TrainingEvent } from '../src/shared/training-events'
import { loadMnistSource } from '../src/host/mnist-source'
import { createGradientHelper } from '../src/host/parallel/gradient-helper'
import type { DataParallel } from '../src/engine/train/data-parallel'
import { browserDoorRun, terminalDoorRun, type EndToEnd } from './end-to-end'

interface BenchLine {
  name: string
  /** Which code ran (the routes' labels, ../src/engine/routes/; the GEMM lines: the backend's kernel). */
  route?: string
  value: number
  unit: string
  target?: string
  note?: string
  pytorch?: number
  speedup?: number
}

const quick = process.env.BENCH_QUICK === '1'
/** torch_peer.py's name for the mnist preset's training and evaluation (both end-to-end lines compare with it). */
const TORCH_PRESET = 'mnist preset, Train to done (training and evaluation)'
const peer = runTorchPeer(1)
const peer2 = runTorchPeer(2)

function print(line: BenchLine, torchName = line.name, torchPeer = peer): void {
  const torch = torchPeer.get(torchName)
  if (torch !== undefined) {
    line.pytorch = torch
    // Time: PyTorch's time over ours. Rates: ours over PyTorch's. Either way > 1 means the lab is faster.
    const isTime = line.unit === 's' || line.unit === 'ms'
    line.speedup = +(isTime ? torch / line.value : line.value / torch).toFixed(2)
  }
  process.stdout.write(JSON.stringify(line) + '\n')
}

/** The PyTorch peer's numbers by workload name (empty when torch is not installed). */
function runTorchPeer(threads: number): Map<string, number> {
  const results = new Map<string, number>()
  const python = '/usr/bin/python3'
  if (process.env.BENCH_NO_TORCH === '1' || !existsSync(python)) return results
  const has = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' })
  if (has.status !== 0) return results
  const twoThreadLines = ['--only', 'mnist CNN training, batch 64', '--only', TORCH_PRESET]
  const args = ['bench/torch_peer.py', '--threads', String(threads), ...(threads > 1 ? twoThreadLines : []), ...(quick ? ['--quick'] : [])]
  const run = spawnSync(python, args, { encoding: 'utf8', timeout: 300_000 })
  for (const line of (run.stdout ?? '').split('\n')) {
    try {
      const parsed = JSON.parse(line) as { name: string; value: number }
      results.set(parsed.name, parsed.value)
    } catch {
      /* not a result line */
    }
  }
  if (run.status !== 0) process.stderr.write(`torch peer failed: ${run.stderr}\n`)
  return results
}

const kernels = backendKernels(defaultBackend())

/** "cnn fused SIMD, one core; mlp …": each model's route from a started event. */
function routesOf(event: TrainingEvent): string | undefined {
  if (event.type !== 'started') return undefined
  return event.models.map((m) => `${m.id}: ${m.route?.label ?? '?'}`).join('; ')
}

function timeRun(experiment: Experiment, repeats: number): { ms: number; route: string } {
  const data = buildDatasets(experiment.dataset, {})
  let best = Infinity
  let route = ''
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now()
    trainToEnd(createTrainer(experiment, data, (event) => (route = routesOf(event) ?? route)))
    best = Math.min(best, performance.now() - t0)
  }
  return { ms: best, route }
}

/**
 * Training samples/s of one model of the mnist preset at batch 64. The step
 * that ends an epoch also evaluates both sets (2,112 forward passes): it is
 * left out of the count and the time, so that the number is training alone
 * whichever way the one-second windows fall across epochs (with an epoch of
 * 32 batches near one second long, some windows would hold an evaluation and
 * some not).
 */
function mnistThroughput(modelId: string, seconds: number, parallel?: DataParallel): { rate: number; route: string } {
  const experiment = getPreset('mnist')!
  experiment.models = experiment.models.filter((m) => m.id === modelId)
  experiment.dataset = { ...experiment.dataset, train: { count: 2048, seed: 1 }, val: { count: 64, seed: 2 } }
  experiment.training.epochs = 1000
  experiment.training.snapshotEpochs = []
  const data = buildDatasets(experiment.dataset, { mnist: loadMnistSource() })
  let samples = 0
  let evaluated = false
  let route = ''
  const trainer = createTrainer(experiment, data, (event) => {
    route = routesOf(event) ?? route
    if (event.type === 'batch') samples += 64
    if (event.type === 'epoch') evaluated = true
  }, { parallel })
  trainer.step() // initial evaluation, not timed
  for (let i = 0; i < 3; i++) trainer.step() // warm-up
  // Best one-second window: other processes on a shared machine only ever slow a window down.
  let best = 0
  const deadline = performance.now() + seconds * 1000
  while (performance.now() < deadline) {
    samples = 0
    let training = 0
    while (training < 1000) {
      const before = samples
      evaluated = false
      const t0 = performance.now()
      trainer.step()
      if (evaluated) samples = before
      else training += performance.now() - t0
    }
    best = Math.max(best, samples / (training / 1000))
  }
  return { rate: best, route }
}

/** GFLOP/s of the active GEMM kernel at one shape (operands float32, best of N). */
function gemmRate(transA: boolean, transB: boolean, M: number, N: number, K: number): number {
  const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5)
  const A = random(M * K)
  const B = random(K * N)
  const C = new Float32Array(M * N)
  const kernel = kernels.gemm
  let best = Infinity
  for (let r = 0; r < (quick ? 4 : 12); r++) {
    const t0 = performance.now()
    kernel.gemm(transA, transB, M, N, K, 1, A, transA ? M : K, B, transB ? K : N, 0, C, N)
    best = Math.min(best, performance.now() - t0)
  }
  return (2 * M * N * K) / (best / 1000) / 1e9
}

/** Milliseconds for one forward pass of one MNIST image through the mnist preset's CNN (explorer redraw). */
function singleImageForward(): number {
  const spec = getPreset('mnist')!.models.find((m) => m.id === 'cnn')!
  const model = buildModel(spec, [1, 28, 28], 'float32')
  // What a float32 model runs on the fused-SIMD route (its SIMD stages), as training does.
  useFusedStages(model, kernels)
  const x = { shape: [1, 1, 28, 28], data: Float32Array.from({ length: 784 }, () => Math.random()) }
  for (let i = 0; i < 10; i++) model.forward(x, false)
  let best = Infinity
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now()
    model.forward(x, false)
    best = Math.min(best, performance.now() - t0)
  }
  return best
}

process.stderr.write(`backend ${kernels.backend}: gemm ${kernels.gemm.name}; PyTorch peer: ${peer.size > 0 ? 'yes' : 'no'}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cores\n`)

const edge = timeRun(getPreset('edge-detector')!, 3)
print({ name: 'edge-detector preset (both detectors, finite differences)', value: +(edge.ms / 1000).toFixed(3), unit: 's', target: '<= 0.3 s', route: edge.route, note: "lesson 000's Python: 29.6 s" })

const patterns = timeRun(getPreset('patterns-3')!, 5)
print({ name: 'patterns-3 preset (CNN + MLP, 80 epochs)', value: +patterns.ms.toFixed(1), unit: 'ms', target: '<= 30 ms', route: patterns.route, note: 'NumPy 2.8 s, PyTorch 0.245 s' })

const rate = (v: number) => +v.toFixed(1)
const gemmRoute = `${kernels.backend} backend: ${kernels.gemm.name}`
print({ name: 'gemm [12544,288]x[288,64] (conv forward)', value: rate(gemmRate(false, false, 12544, 64, 288)), unit: 'GFLOP/s', target: '>= 35 (one core)', route: gemmRoute })
print({ name: 'gemm [288,12544]x[12544,64] (conv dW)', value: rate(gemmRate(true, false, 288, 64, 12544)), unit: 'GFLOP/s', target: '>= 35 (one core)', route: gemmRoute })
print({ name: 'gemm [12544,64]x[64,288] (conv dX)', value: rate(gemmRate(false, true, 12544, 288, 64)), unit: 'GFLOP/s', target: '>= 35 (one core)', route: gemmRoute })

const cnn = mnistThroughput('cnn', quick ? 3 : 8)
print({ name: 'mnist CNN training, batch 64', value: Math.round(cnn.rate), unit: 'samples/s', target: '>= 1000 (one core)', route: cnn.route, note: 'one core; PyTorch here ~850 (1 thread)' })
// Two cores: a helper thread trains a replica on half of each batch (src/host/parallel/); PyTorch with 2 threads.
const helper = createGradientHelper({ cores: 2 })
if (helper) {
  const split = mnistThroughput('cnn', quick ? 3 : 8, helper)
  print(
    { name: 'mnist CNN training, batch 64, two cores', value: Math.round(split.rate), unit: 'samples/s', target: '>= 1800 (two cores)', route: split.route, note: 'PyTorch here ~1,050 (2 threads)' },
    'mnist CNN training, batch 64', peer2,
  )
  helper.close()
}
const mlp = mnistThroughput('mlp', quick ? 2 : 4)
print({ name: 'mnist MLP training, batch 64', value: Math.round(mlp.rate), unit: 'samples/s', target: '>= 10000', route: mlp.route, note: 'PyTorch here ~8,100' })
print({ name: 'mnist CNN forward pass, one image', value: +singleImageForward().toFixed(3), unit: 'ms', target: '<= 5 ms', route: kernels.simd ? 'fused SIMD stages' : 'reference layers' })

// End to end: the mnist preset from Train to done, as a person waits for it (best of three runs in the terminal, two in the browser door: ~15 s each).
const parts = (run: EndToEnd) =>
  `data load ${run.dataLoad} s, training ${run.training} s (epoch rows' seconds)` +
  (run.firstEvaluation !== undefined ? `, first evaluation ${run.firstEvaluation} s` : '') +
  `, rest ${run.rest} s (${run.firstEvaluation !== undefined ? 'evaluations after each epoch' : 'evaluations'}, snapshots, run files, events, exit)`
/** The fastest of `runs` runs (the others were slowed by something else on the machine), with its parts. */
async function bestOf(runs: number, run: () => Promise<EndToEnd>): Promise<EndToEnd> {
  let best: EndToEnd | undefined
  for (let i = 0; i < runs; i++) {
    const result = await run()
    if (!best || result.total < best.total) best = result
  }
  return best!
}
const terminal = await bestOf(quick ? 1 : 3, terminalDoorRun)
print(
  { name: 'mnist preset, Train to done, terminal door', value: terminal.total, unit: 's', target: '<= 12 s', route: terminal.route, note: `spawn to exit: ${parts(terminal)}; PyTorch: training and evaluation only, 2 threads` },
  TORCH_PRESET, peer2,
)
const browser = await bestOf(quick ? 1 : 2, browserDoorRun)
print(
  { name: 'mnist preset, Train to done, browser door', value: browser.total, unit: 's', route: browser.route, note: `startRun to run-ended: ${parts(browser)}; PyTorch: training and evaluation only, 2 threads` },
  TORCH_PRESET, peer2,
)
