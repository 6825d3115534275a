/**
 * The resource budget (src/engine/experiment/budget.ts, through checkExperiment):
 * 1,000 generated experiments the schema accepts but no laptop can run are all
 * refused, quickly and without allocating, each naming a field of the file and
 * the limit; and experiments it accepts, actually built and trained for a few
 * units, stay inside the estimate they were promised. Figures are printed.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkExperiment, type CheckIssue } from '../../src/engine/experiment/check'
import { ENGINE_BASE_BYTES, estimateRun } from '../../src/engine/experiment/budget'
import { getPreset, PRESET_IDS } from '../../src/engine/experiment/presets'
import { buildDatasets } from '../../src/engine/datasets'
import { createTrainer } from '../../src/engine/train/trainer'
import { DEFAULT_BUDGET, formatBytes, GB, parseGigabytes, budgetFromEnv, type ResourceBudget } from '../../src/shared/budget'
import { parseExperiment, type Experiment, type LayerSpec } from '../../src/shared/experiment'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** An experiment on lesson 001's patterns with the given models and settings. */
function patterns(options: {
  size?: number
  perClass?: number
  classes?: number
  models: { id: string; layers: LayerSpec[] }[]
  batchSize?: number | 'full'
  epochs?: number
  snapshotEpochs?: number[]
  precision?: 'float32' | 'float64'
}): Experiment {
  const preset = getPreset('patterns-3')!
  const classes = (['vertical', 'horizontal', 'diagonal', 'dot', 'cross'] as const).slice(0, options.classes ?? 3)
  const parsed = parseExperiment({
    ...preset,
    dataset: { ...preset.dataset, size: options.size ?? 8, classes: [...classes], train: { count: options.perClass ?? 60, seed: 1 }, val: { count: options.perClass ?? 60, seed: 2 } },
    models: options.models.map((m) => ({ ...m, label: m.id.toUpperCase(), init: { scheme: 'he-normal', seed: 7 } })),
    training: {
      ...preset.training,
      batchSize: options.batchSize ?? 18,
      epochs: options.epochs ?? 10,
      snapshotEpochs: options.snapshotEpochs ?? [],
      precision: options.precision ?? 'float32',
    },
  })
  // Every generated file is one the schema accepts: the budget is what must refuse it.
  if (!parsed.ok) throw new Error(parsed.error)
  return parsed.value
}

const mlp = (id: string, input: number, widths: number[], classes = 3): { id: string; layers: LayerSpec[] } => {
  const layers: LayerSpec[] = [{ type: 'flatten' }]
  let features = input
  for (const w of widths) {
    layers.push({ type: 'linear', inFeatures: features, outFeatures: w, bias: true }, { type: 'relu' })
    features = w
  }
  layers.push({ type: 'linear', inFeatures: features, outFeatures: classes, bias: true })
  return { id, layers }
}

const cnn = (id: string, channels: number, kernel: number, padding: number, classes = 3): { id: string; layers: LayerSpec[] } => ({
  id,
  layers: [
    { type: 'conv2d', inChannels: 1, outChannels: channels, kernelSize: kernel, stride: 1, padding, bias: true },
    { type: 'relu' },
    { type: 'globalmaxpool2d' },
    { type: 'linear', inFeatures: channels, outFeatures: classes, bias: true },
  ],
})

type Family = 'parameters' | 'activations' | 'snapshots' | 'data' | 'epochs x size'

/** Oversized in one way each; the numbers are drawn so the run cannot fit the default budget. */
const oversized: fc.Arbitrary<{ family: Family; experiment: Experiment }> = fc.oneof(
  // Parameters: two wide layers whose product is beyond 2 GB of weights alone.
  fc.record({ w1: fc.integer({ min: 20_000, max: 1_000_000 }), f: fc.double({ min: 1, max: 4, noNaN: true }) }).map(({ w1, f }) => {
    const w2 = Math.min(1_000_000, Math.ceil((f * 6e8) / w1))
    return { family: 'parameters' as const, experiment: patterns({ models: [mlp('mlp', 64, [w1, w2])] }) }
  }),
  // Activations: few parameters, wide feature maps, big batches.
  fc.record({ channels: fc.integer({ min: 256, max: 4096 }), size: fc.integer({ min: 48, max: 64 }), batch: fc.integer({ min: 600, max: 100_000 }) }).map(
    ({ channels, size, batch }) => ({
      family: 'activations' as const,
      experiment: patterns({ size, perClass: Math.ceil(batch / 3), batchSize: batch, models: [cnn('cnn', channels, 3, 1)] }),
    }),
  ),
  // Snapshots: a model that fits in memory, saved too often.
  fc.record({ width: fc.integer({ min: 60_000, max: 400_000 }), extra: fc.integer({ min: 0, max: 600 }) }).map(({ width, extra }) => {
    const perSnapshot = (64 * width + width + width * 3 + 3) * 4
    const count = Math.min(1000, Math.ceil(1e9 / perSnapshot) + extra)
    return {
      family: 'snapshots' as const,
      experiment: patterns({ models: [mlp('mlp', 64, [width])], epochs: count, snapshotEpochs: Array.from({ length: count }, (_, i) => i) }),
    }
  }),
  // Data: image count × image size.
  fc.record({ size: fc.integer({ min: 40, max: 64 }), perClass: fc.integer({ min: 40_000, max: 100_000 }), classes: fc.integer({ min: 4, max: 5 }) }).map(
    ({ size, perClass, classes }) => ({ family: 'data' as const, experiment: patterns({ size, perClass, classes, models: [cnn('cnn', 4, 3, 1, classes)] }) }),
  ),
  // Epochs × size: every epoch snapshot of a mid-sized model over a long run, in float64.
  fc.record({ width: fc.integer({ min: 20_000, max: 100_000 }), epochs: fc.integer({ min: 1000, max: 100_000 }) }).map(({ width, epochs }) => {
    const perSnapshot = (64 * width + width + width * 3 + 3) * 8
    const count = Math.min(1000, Math.ceil(1.2e9 / perSnapshot))
    const step = Math.max(1, Math.floor(epochs / count))
    return {
      family: 'epochs x size' as const,
      experiment: patterns({
        models: [mlp('mlp', 64, [width])],
        epochs,
        precision: 'float64',
        snapshotEpochs: Array.from({ length: count }, (_, i) => Math.min(epochs, i * step)),
      }),
    }
  }),
)

/** A field path of the file resolves to a value in it (so the editor can flag the field). */
function resolves(experiment: Experiment, path: string): boolean {
  let value: unknown = experiment
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !(part in (value as object))) return false
    value = (value as Record<string, unknown>)[part]
  }
  return true
}

describe('resource budget', () => {
  it('accepts every lesson preset with room to spare', () => {
    for (const id of PRESET_IDS) {
      const estimate = estimateRun(getPreset(id)!)
      expect(estimate.memoryBytes, id).toBeLessThan(DEFAULT_BUDGET.memoryBytes / 2)
      expect(estimate.snapshotBytes, id).toBeLessThan(DEFAULT_BUDGET.snapshotBytes / 10)
      console.log(`  ${id}: memory ${formatBytes(estimate.memoryBytes)}, snapshots ${formatBytes(estimate.snapshotBytes)}, about ${estimate.seconds.toFixed(1)} s`)
    }
  })

  it('refuses 1,000 generated oversized experiments before any allocation, each naming the field and the limit', () => {
    const samples = fc.sample(oversized, { numRuns: 1000, seed: 11 })
    const byFamily = new Map<Family, number>()
    const paths = new Map<string, number>()
    gc()
    const before = process.memoryUsage()
    const times: number[] = []
    const t0 = performance.now()
    for (const { family, experiment } of samples) {
      const t = performance.now()
      const result = checkExperiment(experiment)
      times.push(performance.now() - t)
      expect(result.ok, family).toBe(false)
      const issues: CheckIssue[] = result.ok ? [] : result.issues
      // Each is refused for its budget, naming a field the file has and the limit it broke.
      const budgetIssue = issues.find((i) => /budget for a run is (2|1) GB/.test(i.message))
      expect(budgetIssue, `${family}: ${JSON.stringify(issues)}`).toBeDefined()
      expect(resolves(experiment, budgetIssue!.path), budgetIssue!.path).toBe(true)
      expect(budgetIssue!.message).toMatch(/--(memory|snapshot)-budget GB or CNN_LAB_(MEMORY|SNAPSHOT)_BUDGET/)
      byFamily.set(family, (byFamily.get(family) ?? 0) + 1)
      const field = budgetIssue!.path.replace(/\d+/g, 'N')
      paths.set(field, (paths.get(field) ?? 0) + 1)
    }
    const total = performance.now() - t0
    const after = process.memoryUsage()
    const arrayGrowth = after.arrayBuffers - before.arrayBuffers
    const rssGrowth = after.rss - before.rss
    times.sort((a, b) => a - b)
    const p99 = times[Math.ceil(0.99 * times.length) - 1]
    const slowest = times.at(-1)!
    console.log(`  1,000 oversized experiments refused in ${total.toFixed(0)} ms (median ${times[500].toFixed(3)} ms, p99 ${p99.toFixed(2)} ms, slowest ${slowest.toFixed(1)} ms)`)
    console.log(`  by family: ${[...byFamily].map(([f, n]) => `${f} ${n}`).join(', ')}`)
    console.log(`  fields named: ${[...paths].map(([p, n]) => `${p} ${n}`).join(', ')}`)
    console.log(`  growth: array buffers ${formatBytes(Math.max(0, arrayGrowth))}, RSS ${formatBytes(Math.max(0, rssGrowth))}, heap ${formatBytes(Math.max(0, after.heapUsed - before.heapUsed))}`)
    expect(byFamily.size).toBe(5)
    // Nothing was allocated for them: no typed arrays, no weights (a single refused model would be gigabytes).
    expect(arrayGrowth).toBeLessThan(1e6)
    expect(rssGrowth).toBeLessThan(100e6)
    // Quick (arithmetic on the specs) is the printed times, not an assertion: this machine is shared and noisy.
  })

  it('keeps an accepted run inside the estimate it was promised (built, one epoch evaluated and batches trained)', async () => {
    // A small budget, so the accepted models are big enough to measure and quick to build.
    const budget: ResourceBudget = { memoryBytes: 0.3 * GB, snapshotBytes: 0.1 * GB }
    const candidate = fc.record({
      size: fc.integer({ min: 8, max: 28 }),
      perClass: fc.integer({ min: 20, max: 800 }),
      batch: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.constant('full' as const)),
      width: fc.integer({ min: 16, max: 20_000 }),
      channels: fc.integer({ min: 4, max: 96 }),
      precision: fc.constantFrom('float32' as const, 'float64' as const),
    })
    const accepted = fc
      .sample(candidate, { numRuns: 400, seed: 5 })
      .map((c) =>
        patterns({
          size: c.size,
          perClass: c.perClass,
          batchSize: c.batch,
          precision: c.precision,
          models: [cnn('cnn', c.channels, 3, 1), mlp('mlp', c.size * c.size, [c.width])],
        }),
      )
      .filter((e) => checkExperiment(e, budget).ok)
      .slice(0, 10)
    expect(accepted.length).toBe(10)
    const ratios: number[] = []
    for (const experiment of accepted) {
      const estimate = estimateRun(experiment)
      // A clean baseline: the last experiment's arrays are freed after a GC and a turn of the event loop.
      gc()
      await new Promise((resolve) => setImmediate(resolve))
      gc()
      const before = process.memoryUsage()
      // Typed arrays and WebAssembly memory (what the estimate models layer by layer), and all of it with the JS heap.
      let arrays = 0
      let used = 0
      const sample = (): void => {
        const now = process.memoryUsage()
        arrays = Math.max(arrays, now.arrayBuffers - before.arrayBuffers)
        used = Math.max(used, now.heapUsed - before.heapUsed + (now.arrayBuffers - before.arrayBuffers))
      }
      const data = buildDatasets(experiment.dataset)
      const trainer = createTrainer(experiment, data, () => undefined)
      // The first units evaluate epoch 0 (both sets, in chunks); then batches of each model. The peak is kept.
      sample()
      for (let i = 0; i < 6 && trainer.step(); i++) sample()
      const promised = estimate.memoryBytes - ENGINE_BASE_BYTES
      ratios.push(arrays / promised)
      const d = experiment.dataset
      console.log(
        `  ${d.kind === 'patterns' ? `${d.size}x${d.size}` : ''} ×${d.train.count * 3} batch ${experiment.training.batchSize} ${experiment.training.precision}` +
          ` params ${estimate.models.map((m) => m.parameters).join('+')}: arrays ${formatBytes(Math.max(0, arrays))} of ${formatBytes(promised)} estimated (${((100 * arrays) / promised).toFixed(0)} %), with the JS heap ${formatBytes(Math.max(0, used))} of ${formatBytes(estimate.memoryBytes)}`,
      )
      // Stated factor 1: the arrays one epoch of evaluation and a few batches hold never exceed the per-layer estimate;
      expect(arrays).toBeLessThanOrEqual(promised)
      // the JS heap's share fits in ENGINE_BASE_BYTES, so the whole never exceeds the estimate, nor the budget the check promised.
      expect(used).toBeLessThanOrEqual(estimate.memoryBytes)
      expect(used).toBeLessThanOrEqual(budget.memoryBytes)
    }
    console.log(`  arrays / estimate: ${Math.min(...ratios).toFixed(2)}..${Math.max(...ratios).toFixed(2)} (an upper bound: two-core replicas are counted though this test trains on one core)`)
  })

  it('reads the budget from the environment and from flags, in gigabytes', () => {
    expect(parseGigabytes('2')).toBe(2e9)
    expect(parseGigabytes('0.5GB')).toBe(0.5e9)
    expect(parseGigabytes('lots')).toBeNull()
    expect(parseGigabytes('0')).toBeNull()
    expect(budgetFromEnv({})).toEqual(DEFAULT_BUDGET)
    expect(budgetFromEnv({ CNN_LAB_MEMORY_BUDGET: '8', CNN_LAB_SNAPSHOT_BUDGET: '0.25' })).toEqual({ memoryBytes: 8e9, snapshotBytes: 0.25e9 })
    expect(() => budgetFromEnv({ CNN_LAB_MEMORY_BUDGET: 'big' })).toThrow(/CNN_LAB_MEMORY_BUDGET must be a number of gigabytes/)
    // A larger budget accepts what the default refuses.
    const big = patterns({ models: [mlp('mlp', 64, [100_000, 3000])] })
    expect(checkExperiment(big).ok).toBe(false)
    expect(checkExperiment(big, { memoryBytes: 20 * GB, snapshotBytes: 20 * GB }).ok).toBe(true)
  })

  it('says the parameter count, the weight bytes and the budget in the words a user reads', () => {
    const result = checkExperiment(patterns({ models: [mlp('mlp', 64, [1_000_000, 1200])] }))
    expect(result.ok).toBe(false)
    const issue = (result.ok ? [] : result.issues)[0]
    expect(issue.path).toBe('models.0.layers.3.outFeatures')
    expect(issue.message).toMatch(/^this model has 1.3 billion parameters \(5.\d+ GB of weights, .* GB with gradients and momentum\); the run needs about .* GB in all, and the memory budget for a run is 2 GB \(raise it with --memory-budget GB or CNN_LAB_MEMORY_BUDGET\)$/)
  })
})
