/**
 * `npm run lab -- run FILE --out DIR [--save-data] [--quiet] [--memory-budget GB]
 * [--snapshot-budget GB]`: trains an experiment file headless and writes a run folder.
 *
 * Everything that can be wrong with the input is checked before the folder is
 * made: the file, its JSON, the schema, and checkExperiment (the check the
 * editor and the host use: layers chain from the dataset's input shape to one
 * output per class, settings fit). Each problem is one line on stderr naming
 * the field, never a stack trace. The budget (flags, else CNN_LAB_MEMORY_BUDGET
 * and CNN_LAB_SNAPSHOT_BUDGET, else 2 GB and 1 GB) is part of that check, and
 * the training thread's V8 heap is capped to it.
 *
 * Training runs on a worker thread (run-worker.ts) so this thread stays free
 * for Ctrl-C and for the run folder's writes; the worker's events feed the
 * RunFolderWriter and the progress line. The thread starts as soon as the file
 * passes its check, and waits for the sets while this thread reads them.
 *
 * Exit codes: 0 done, 1 bad input or a failure, 2 bad usage (as the rest of
 * the terminal door), 130 interrupted (Ctrl-C: the run is marked stopped and
 * every finished epoch stays on disk).
 */
import { resolve } from 'node:path'
import type { Experiment, MetricRow } from '../shared/experiment'
import { buildDatasets, type Dataset } from '../engine/datasets'
import { checkExperiment, formatIssue } from '../engine/experiment/check'
import { createTrainer } from '../engine/train/trainer'
import { mayTrainOnTwoCores } from '../engine/train/data-parallel'
import type { ModelSummary, NamedWeights } from '../shared/training-events'
import { RunFolderWriter } from '../host/run-folder'
import { RunProgress, type ProgressStream } from './run-progress'
import { routeLines, summaryTable, weightGrids } from './run-summary'
import { startTrainingThread, type TrainingThread } from './training-thread'
import { errorMessage } from '../host/error-words'
import { Failure, loadExperiment, parseFileArgs, usageFailure } from './command-input'
import { budgetFromEnv, GIGABYTES_RULE, parseGigabytes, workerHeapMb, type ResourceBudget } from '../shared/budget'

const RUN_USAGE = 'usage: npm run lab -- run FILE --out DIR [--save-data] [--quiet] [--memory-budget GB] [--snapshot-budget GB]'

const EXIT_INTERRUPTED = 130

export interface RunIo {
  out: (text: string) => void
  err: (text: string) => void
  /** Where the progress bar goes (stderr). */
  progress: ProgressStream
}

const processIo: RunIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  progress: process.stderr,
}

const fail = (line: string, code: 1 | 2 = 1): Failure => new Failure([line], code)
const usage = (line: string): Failure => usageFailure('run', RUN_USAGE, line)

interface RunArgs {
  file: string
  out: string
  saveData: boolean
  quiet: boolean
  budget: ResourceBudget
}

function parseRunArgs(args: string[]): RunArgs {
  const { file, values } = parseFileArgs('run', RUN_USAGE, args, {
    out: { type: 'string', short: 'o' },
    'save-data': { type: 'boolean', default: false },
    quiet: { type: 'boolean', short: 'q', default: false },
    'memory-budget': { type: 'string' },
    'snapshot-budget': { type: 'string' },
  })
  if (!values.out) throw usage('--out DIR is required: the run folder to create')
  return { file, out: values.out, saveData: values['save-data'] === true, quiet: values.quiet === true, budget: runBudget(values) }
}

/** The flags over the environment over the defaults; a malformed value is bad usage. */
function runBudget(values: { 'memory-budget'?: string; 'snapshot-budget'?: string }): ResourceBudget {
  let budget: ResourceBudget
  try {
    budget = budgetFromEnv(process.env)
  } catch (error) {
    throw fail(`run: ${errorMessage(error)}`, 2)
  }
  const gigabytes = (flag: string, text: string): number => {
    const bytes = parseGigabytes(text)
    if (bytes === null) throw fail(`run: --${flag} must be ${GIGABYTES_RULE}, not "${text}"`, 2)
    return bytes
  }
  if (values['memory-budget'] !== undefined) budget = { ...budget, memoryBytes: gigabytes('memory-budget', values['memory-budget']) }
  if (values['snapshot-budget'] !== undefined) budget = { ...budget, snapshotBytes: gigabytes('snapshot-budget', values['snapshot-budget']) }
  return budget
}

async function loadData(experiment: Experiment): Promise<{ train: Dataset; val: Dataset }> {
  try {
    // MNIST's and Fashion-MNIST's pictures take a moment and need their packages: only when asked for.
    return buildDatasets(experiment.dataset, await (await import('../host/dataset-sources')).loadDatasetSources(experiment.dataset))
  } catch (error) {
    throw fail(`cannot build the ${experiment.dataset.kind} dataset: ${errorMessage(error)}`)
  }
}

export async function runCommand(args: string[], io: RunIo = processIo): Promise<number> {
  const say = (lines: string[]) => io.err(lines.map((line) => `cnn-lab: ${line}\n`).join(''))
  let writer: RunFolderWriter | undefined
  let onInterrupt: (() => void) | undefined
  let training: TrainingThread | undefined
  try {
    const options = parseRunArgs(args)
    const experiment = await loadExperiment(options.file)
    const check = checkExperiment(experiment, options.budget)
    if (!check.ok) throw new Failure(check.issues.map((issue) => `${options.file}: ${formatIssue(issue)}`), 1)
    training = startTrainingThread({ experiment, startHelper: mayTrainOnTwoCores(experiment) }, {
      heap: { megabytes: workerHeapMb(options.budget), budgetBytes: options.budget.memoryBytes },
    })
    const data = await loadData(experiment)

    try {
      // Building the models here too (the worker builds its own) catches what
      // the engine refuses before any folder is made.
      createTrainer(experiment, data, () => undefined)
    } catch (error) {
      throw fail(`${options.file}: ${errorMessage(error)}`)
    }

    const folder = resolve(options.out)
    try {
      writer = await RunFolderWriter.create(folder, experiment, { saveData: options.saveData ? data : undefined })
    } catch (error) {
      throw fail(errorMessage(error))
    }
    const runWriter = writer
    const progress = options.quiet ? undefined : new RunProgress(io.progress)
    const final = new Map<string, MetricRow>()
    let models: ModelSummary[] = []
    const finalWeights = new Map<string, NamedWeights>()
    let failed: string | undefined
    let interrupted = false

    const run = training
    run.listen((msg) => {
      switch (msg.kind) {
        case 'event':
          runWriter.handle(msg.event)
          progress?.handle(msg.event)
          if (msg.event.type === 'started') models = msg.event.models
          if (msg.event.type === 'epoch') final.set(msg.event.row.model, msg.event.row)
          if (msg.event.type === 'error') failed = msg.event.message
          break
        case 'weights':
          finalWeights.set(msg.model, msg.weights)
          void runWriter.writeFinalWeights(msg.model, msg.weights)
          break
        case 'fatal':
          failed ??= msg.message
          break
        case 'end':
          break
      }
      // The disk refused a write: stop rather than train into the void.
      if (runWriter.failure) run.stop()
    })
    run.begin(data)
    onInterrupt = () => {
      if (interrupted) {
        // A second Ctrl-C: the user wants out now; what is on disk stays.
        process.exit(EXIT_INTERRUPTED)
      }
      interrupted = true
      run.stop()
    }
    process.on('SIGINT', onInterrupt)

    await run.done
    training = undefined
    progress?.end()
    if (interrupted) io.err('cnn-lab: stopped; the run folder keeps every finished epoch\n')

    try {
      await runWriter.finish(failed !== undefined ? 'failed' : interrupted ? 'stopped' : 'completed', failed)
    } catch (error) {
      // A write failed (a full disk): one line with the reason and what run.json now says.
      const record = runWriter.endRecorded ? 'run.json says failed' : 'run.json could not be updated'
      throw fail(`the run failed: ${errorMessage(error)} (run folder: ${folder}; ${record})`)
    }
    if (failed !== undefined) throw fail(`training failed: ${failed} (run folder: ${folder})`)

    io.out(`${summaryTable(models, final)}\n\n`)
    const routes = routeLines(models)
    if (routes) io.out(`${routes}\n\n`)
    const grids = weightGrids(models, finalWeights)
    if (grids) io.out(`${grids}\n\n`)
    io.out(`Run folder: ${folder}\n`)
    return interrupted ? EXIT_INTERRUPTED : 0
  } catch (error) {
    if (error instanceof Failure) {
      say(error.lines)
      return error.code
    }
    // Anything unexpected still ends as one line, and an open run is marked failed.
    say([errorMessage(error)])
    await writer?.finish('failed', errorMessage(error)).catch(() => undefined)
    return 1
  } finally {
    if (onInterrupt) process.off('SIGINT', onInterrupt)
    // Refused before training began: the waiting thread ends before this returns.
    if (training) {
      training.stop()
      await training.done
    }
  }
}
