/**
 * `npm run lab -- sweep FILE --kind KIND --values 1,2,5 [--seeds N] --out DIR [--quiet]`:
 * a sweep headless. Each setting and seed trains as its own run folder in DIR
 * (`<kind>-<value>-seed-<k>`, the same folder `lab run` writes, its run.json
 * naming the sweep), one after another on a worker thread, and DIR/sweep.json
 * gathers the points:
 *
 *   {kind, values, seeds, base, status, points: [{value, seed, model, parameterCount, valAccuracy, run}]}
 *
 * one point per model of each run, `run` the folder's name inside DIR.
 * sweep.json is rewritten after every run, so a sweep cut short (Ctrl-C, a
 * failure) still leaves a valid file with the points it reached.
 *
 * Exit codes as `lab run`: 0 done, 1 bad input or a failed run, 2 bad usage,
 * 130 interrupted.
 */
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { SWEEP_KINDS, type SweepKindName } from '../shared/run-file'
import { buildDatasets, type DatasetSources } from '../engine/datasets'
import { checkExperiment, formatIssue } from '../engine/experiment/check'
import { MAX_SWEEP_SEEDS, SWEEP_LABELS, sweepSettings, sweptModelLabel, type SweepSetting } from '../engine/experiment/sweep'
import { RunFolderWriter } from '../host/run-folder'
import { sweepRecord } from '../host/sweep-runner'
import { errorMessage } from '../host/error-words'
import { Failure, loadExperiment, parseFileArgs, usageFailure } from './command-input'
import { startTrainingThread } from './training-thread'
import { mayTrainOnTwoCores } from '../engine/train/data-parallel'

const SWEEP_USAGE = `usage: npm run lab -- sweep FILE --kind ${SWEEP_KINDS.join('|')} --values 1,2,5 [--seeds N] --out DIR [--quiet]`

const EXIT_INTERRUPTED = 130

export interface SweepIo {
  out: (text: string) => void
  err: (text: string) => void
}

/** One point of sweep.json: one model of one run. */
interface SweepFilePoint {
  value: number
  seed: number
  model: string
  parameterCount: number
  valAccuracy: number | null
  /** The run folder, relative to DIR. */
  run: string
}

export interface SweepFile {
  kind: SweepKindName
  values: number[]
  seeds: number
  base: string
  status: 'completed' | 'stopped' | 'failed'
  points: SweepFilePoint[]
}

const usage = (line: string): Failure => usageFailure('sweep', SWEEP_USAGE, line)

interface SweepArgs {
  file: string
  kind: SweepKindName
  values: number[]
  seeds: number
  out: string
  quiet: boolean
}

function parseSweepArgs(args: string[]): SweepArgs {
  const { file, values: v } = parseFileArgs('sweep', SWEEP_USAGE, args, {
    kind: { type: 'string', short: 'k' },
    values: { type: 'string' },
    seeds: { type: 'string' },
    out: { type: 'string', short: 'o' },
    quiet: { type: 'boolean', short: 'q', default: false },
  })
  if (!v.kind) throw usage(`--kind is required: one of ${SWEEP_KINDS.join(', ')}`)
  if (!(SWEEP_KINDS as readonly string[]).includes(v.kind)) throw usage(`unknown kind "${v.kind}": one of ${SWEEP_KINDS.join(', ')}`)
  if (!v.values) throw usage('--values is required, e.g. --values 1,2,5')
  const values = v.values.split(/[\s,;]+/).filter(Boolean).map(Number)
  if (values.length === 0 || values.some((x) => !Number.isInteger(x) || x < 0)) throw usage(`--values must be whole numbers, e.g. 1,2,5; got "${v.values}"`)
  const seeds = v.seeds === undefined ? 1 : Number(v.seeds)
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > MAX_SWEEP_SEEDS) throw usage(`--seeds must be a whole number from 1 to ${MAX_SWEEP_SEEDS}`)
  if (!v.out) throw usage('--out DIR is required: the folder for the run folders and sweep.json')
  return { file, kind: v.kind as SweepKindName, values, seeds, out: v.out, quiet: v.quiet === true }
}

/** DIR may be new or empty: a sweep never mixes its runs with another's. */
async function prepareOut(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  const entries = await readdir(dir)
  if (entries.length > 0) throw new Failure([`${dir} is not empty: give a new folder for the sweep`], 1)
}

interface Outcome {
  status: 'completed' | 'stopped' | 'failed'
  error?: string
  final: Map<string, number | null>
}

/** Trains one setting into its run folder; `stop` is called on Ctrl-C. */
async function trainSetting(setting: SweepSetting, folder: string, record: ReturnType<typeof sweepRecord>, sources: DatasetSources, onStop: (stop: () => void) => void): Promise<Outcome> {
  const { experiment } = setting
  const data = buildDatasets(experiment.dataset, sources)
  const writer = await RunFolderWriter.create(folder, experiment, { sweep: record })
  const final = new Map<string, number | null>()
  let failed: string | undefined
  let stopped = false
  const thread = startTrainingThread({ experiment, startHelper: mayTrainOnTwoCores(experiment) })
  const stop = () => {
    stopped = true
    thread.stop()
  }
  onStop(stop)
  thread.listen((msg) => {
    if (msg.kind === 'event') {
      writer.handle(msg.event)
      if (msg.event.type === 'epoch') final.set(msg.event.row.model, msg.event.row.valAccuracy)
      if (msg.event.type === 'error') failed = msg.event.message
    } else if (msg.kind === 'weights') void writer.writeFinalWeights(msg.model, msg.weights)
    else if (msg.kind === 'fatal') failed ??= msg.message
    if (writer.failure) stop()
  })
  thread.begin(data)
  await thread.done
  failed ??= writer.failure?.message
  const status = failed !== undefined ? 'failed' : stopped ? 'stopped' : 'completed'
  await writer.finish(status, failed)
  return { status, ...(failed !== undefined ? { error: failed } : {}), final }
}

async function writeSweepFile(dir: string, file: SweepFile): Promise<void> {
  // Written whole and renamed into place, so a reader never sees half a file.
  const path = join(dir, 'sweep.json')
  await writeFile(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`)
  await rename(`${path}.tmp`, path)
}

const percent = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`)

/** Mean (min–max) val accuracy per setting and model, the numbers a class reads off the chart. */
function sweepTable(file: SweepFile): string {
  const models = [...new Set(file.points.map((p) => p.model))]
  const rows = [[SWEEP_LABELS[file.kind].title, ...models.map((m) => `${m}: val accuracy${file.seeds > 1 ? ` (mean, min–max of ${file.seeds})` : ''}`)]]
  for (const value of [...new Set(file.points.map((p) => p.value))]) {
    rows.push([
      String(value),
      ...models.map((m) => {
        const accs = file.points.filter((p) => p.value === value && p.model === m && p.valAccuracy !== null).map((p) => p.valAccuracy as number)
        if (accs.length === 0) return '—'
        const mean = accs.reduce((a, b) => a + b, 0) / accs.length
        return accs.length > 1 ? `${percent(mean)} (${percent(Math.min(...accs))}–${percent(Math.max(...accs))})` : percent(mean)
      }),
    ])
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n')
}

export async function sweepCommand(args: string[], io: SweepIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): Promise<number> {
  const say = (lines: string[]) => io.err(lines.map((line) => `cnn-lab: ${line}\n`).join(''))
  let onInterrupt: (() => void) | undefined
  try {
    const options = parseSweepArgs(args)
    const base = await loadExperiment(options.file)
    let settings: SweepSetting[]
    try {
      settings = sweepSettings(base, { kind: options.kind, values: options.values, seeds: options.seeds })
    } catch (error) {
      throw new Failure([`${options.file}: ${errorMessage(error)}`], 1)
    }
    // Every setting is checked before any trains: a bad one found late would waste the rest.
    for (const s of settings) {
      const check = checkExperiment(s.experiment)
      if (!check.ok) throw new Failure(check.issues.map((issue) => `${options.kind} = ${s.value}: ${formatIssue(issue)}`), 1)
    }
    const dir = resolve(options.out)
    await prepareOut(dir)
    // MNIST's or Fashion-MNIST's pictures are loaded once for the whole sweep, and only when asked for.
    const sources = await (await import('../host/dataset-sources')).loadDatasetSources(base.dataset)

    const id = `sweep-${Date.now().toString(36)}`
    const state = { id, kind: options.kind, baseName: base.name, modelLabel: sweptModelLabel(base, options.kind), seeds: options.seeds }
    const file: SweepFile = { kind: options.kind, values: [...new Set(settings.map((s) => s.value))], seeds: options.seeds, base: base.name, status: 'completed', points: [] }
    let interrupted = false
    let stopCurrent: (() => void) | undefined
    onInterrupt = () => {
      if (interrupted) process.exit(EXIT_INTERRUPTED)
      interrupted = true
      stopCurrent?.()
    }
    process.on('SIGINT', onInterrupt)

    for (const [i, setting] of settings.entries()) {
      if (interrupted) break
      const name = `${options.kind}-${setting.value}-seed-${setting.seed}`
      const started = Date.now()
      const outcome = await trainSetting(setting, join(dir, name), sweepRecord(state, setting), sources, (stop) => (stopCurrent = stop))
      for (const m of setting.models) {
        file.points.push({ value: setting.value, seed: setting.seed, model: m.id, parameterCount: m.parameterCount, valAccuracy: outcome.final.get(m.id) ?? null, run: name })
      }
      if (outcome.status !== 'completed') file.status = outcome.status
      await writeSweepFile(dir, file)
      if (!options.quiet) {
        const accs = setting.models.map((m) => `${m.label} ${percent(outcome.final.get(m.id) ?? null)}`).join(', ')
        io.err(`cnn-lab: run ${i + 1} of ${settings.length}: ${options.kind} = ${setting.value}, seed ${setting.seed}: ${accs} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`)
      }
      if (outcome.status === 'failed') throw new Failure([`${options.kind} = ${setting.value}, seed ${setting.seed}: training failed: ${outcome.error} (run folder: ${join(dir, name)})`], 1)
    }
    if (interrupted) {
      file.status = 'stopped'
      await writeSweepFile(dir, file)
      io.err('cnn-lab: stopped; sweep.json keeps the runs that ended\n')
    }
    io.out(`${sweepTable(file)}\n\nSweep file: ${join(dir, 'sweep.json')}\n`)
    return interrupted ? EXIT_INTERRUPTED : 0
  } catch (error) {
    if (error instanceof Failure) {
      say(error.lines)
      return error.code
    }
    say([errorMessage(error)])
    return 1
  } finally {
    if (onInterrupt) process.off('SIGINT', onInterrupt)
  }
}
