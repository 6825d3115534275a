/**
 * The PyTorch project of one run, as a map of file paths to bytes. Pure: the
 * caller reads the run folder and rebuilds the data (./export-run.ts); this
 * only lays the files out, so the zip, the folder writer and the tests all
 * get the same project.
 *
 *   train.py                     trains every model again (./train-py.ts)
 *   README.md                    the commands and what each file is
 *   experiment.cnnlab.json       the recipe exactly as run
 *   run-template.json            run.json's fixed part (models, classes, counts) for train.py's output
 *   data/train.safetensors       x [N,C,H,W] in the run's precision, y I64 [N]
 *   data/val.safetensors         the same for validation
 *   data/order.safetensors       <model> I64 [epochs, N]: each epoch's batch order; shifts I64 [epochs, N, 2] with augmentation
 *   init/<model>.safetensors     the epoch-0 snapshot: the weights training started from
 */
import type { Experiment } from '../../shared/experiment'
import { RUN_FORMAT, RUN_VERSION, type RunInfo } from '../../shared/run-file'
import { encodeSafetensors, type SafetensorsTensors } from '../../shared/safetensors'
import type { NamedWeights } from '../../shared/training-events'
import type { Dataset } from '../../engine/datasets/dataset'
import { tensorsFromWeights } from '../run-folder'
import { augmentShifts, batchOrder, modelSchedules } from './batch-order'
import { projectReadme } from './readme'
import { TRAIN_PY } from './train-py'

export type ProjectFiles = Record<string, Uint8Array>

export interface PytorchProjectInput {
  /** The recipe as the run recorded it (defaults filled in). */
  experiment: Experiment
  /** The run's run.json (its name, preset, models, classes). */
  run: RunInfo
  /** Each model's epoch-0 snapshot. */
  initialWeights: Record<string, NamedWeights>
  /** The run's training and validation sets, rebuilt from the recipe. */
  data: { train: Dataset; val: Dataset }
}

/** A problem that stops an export; the message says which run file or field. */
export class PytorchExportError extends Error {
  override name = 'PytorchExportError'
}

const text = (value: string): Uint8Array => new TextEncoder().encode(value)

function int64(values: Int32Array): BigInt64Array {
  const out = new BigInt64Array(values.length)
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i])
  return out
}

/** A set as torch wants it: x in the run's precision (as the trainer converts it), labels int64. */
function datasetTensors(set: Dataset, precision: Experiment['training']['precision']): SafetensorsTensors {
  const x = precision === 'float64' ? Float64Array.from(set.x.data) : Float32Array.from(set.x.data)
  return {
    x: { dtype: precision === 'float64' ? 'F64' : 'F32', shape: [...set.x.shape], data: x },
    y: { dtype: 'I64', shape: [set.y.length], data: int64(set.y) },
  }
}

function orderTensors(experiment: Experiment, trainCount: number): SafetensorsTensors {
  const tensors: SafetensorsTensors = {}
  const schedules = modelSchedules(experiment, trainCount)
  for (const schedule of schedules) {
    tensors[schedule.id] = { dtype: 'I64', shape: [schedule.epochs, trainCount], data: int64(batchOrder(experiment.training.seed, schedule, trainCount)) }
  }
  const settings = experiment.training
  const shift = settings.gradient === 'backprop' ? (settings.augment?.shift ?? 0) : 0
  if (shift > 0) {
    const epochs = Math.max(...schedules.map((s) => s.epochs))
    tensors.shifts = { dtype: 'I64', shape: [epochs, trainCount, 2], data: int64(augmentShifts(settings.seed, epochs, trainCount, shift)) }
  }
  return tensors
}

/** run.json's fixed part for the PyTorch run: what train.py does not learn by training. */
function runTemplate(input: PytorchProjectInput): Record<string, unknown> {
  const { run, data } = input
  return {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    source: 'pytorch',
    name: `${run.name} (PyTorch)`,
    ...(run.preset ? { preset: run.preset } : {}),
    trainCount: data.train.y.length,
    valCount: data.val.y.length,
    classes: [...data.train.classes],
    // The route names the lab's own code; the PyTorch run has none.
    models: run.models.map(({ route: _route, ...model }) => model),
    savedData: false,
    reproduces: { name: run.name, startedAt: run.startedAt, engineVersion: run.engineVersion },
  }
}

export function buildPytorchProject(input: PytorchProjectInput): ProjectFiles {
  const { experiment, run, initialWeights, data } = input
  const trainCount = data.train.y.length
  if (run.trainCount !== undefined && run.trainCount !== trainCount) {
    throw new PytorchExportError(`run.json: trainCount is ${run.trainCount} but the recipe's dataset rebuilds ${trainCount} training pictures`)
  }
  if (run.models.length !== experiment.models.length) {
    throw new PytorchExportError(`run.json: models lists ${run.models.length} models but the recipe has ${experiment.models.length}`)
  }
  const files: ProjectFiles = {
    'train.py': text(TRAIN_PY),
    'README.md': text(projectReadme(experiment, run)),
    'experiment.cnnlab.json': text(`${JSON.stringify({ ...experiment, results: undefined }, null, 2)}\n`),
    'run-template.json': text(`${JSON.stringify(runTemplate(input), null, 2)}\n`),
    'data/train.safetensors': encodeSafetensors(datasetTensors(data.train, experiment.training.precision)),
    'data/val.safetensors': encodeSafetensors(datasetTensors(data.val, experiment.training.precision)),
    'data/order.safetensors': encodeSafetensors(orderTensors(experiment, trainCount)),
  }
  for (const model of experiment.models) {
    const weights = initialWeights[model.id]
    if (!weights) throw new PytorchExportError(`snapshots/${model.id}/epoch-0000.safetensors: missing; the export needs every model's initial weights (epoch 0 in snapshotEpochs)`)
    files[`init/${model.id}.safetensors`] = encodeSafetensors(tensorsFromWeights(weights), { format: 'pt', model: model.id, epoch: '0' })
  }
  return files
}
