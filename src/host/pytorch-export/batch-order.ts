/**
 * The lab's batch order and augmentation shifts, written out so the exported
 * PyTorch project replays them instead of matching a random generator.
 *
 * This replays exactly what the trainer does (src/engine/train/trainer.ts):
 * each model shuffles one order array in place at the start of every epoch
 * with `new Rng(deriveSeed(seed, 'shuffle:' + id))`, only when it has more than
 * one batch; augmentation draws each epoch's shifts with `epochShifts`, the same
 * for every model.
 */
import type { Experiment } from '../../shared/experiment'
import { deriveSeed, Rng } from '../../engine/rng'
import { epochShifts } from '../../engine/train/augment'

/** How a model trains: its own epochs, batch size and batches per epoch (the trainer's rules). */
export interface ModelSchedule {
  id: string
  epochs: number
  learningRate: number
  batchSize: number
  batches: number
}

export function modelSchedules(experiment: Experiment, trainCount: number): ModelSchedule[] {
  const settings = experiment.training
  return experiment.models.map((spec) => {
    const setting = spec.training?.batchSize ?? settings.batchSize
    const batchSize = setting === 'full' ? trainCount : Math.min(setting, trainCount)
    return {
      id: spec.id,
      epochs: spec.training?.epochs ?? settings.epochs,
      learningRate: spec.training?.learningRate ?? settings.learningRate,
      batchSize,
      batches: settings.gradient === 'finite-difference' ? 1 : Math.ceil(trainCount / batchSize),
    }
  })
}

/** One model's order of training pictures for every epoch, epoch after epoch: [epochs × trainCount]. */
export function batchOrder(seed: number, schedule: ModelSchedule, trainCount: number): Int32Array {
  const shuffle = new Rng(deriveSeed(seed, `shuffle:${schedule.id}`))
  const order = new Int32Array(trainCount)
  for (let i = 0; i < trainCount; i++) order[i] = i
  const all = new Int32Array(schedule.epochs * trainCount)
  for (let epoch = 0; epoch < schedule.epochs; epoch++) {
    if (schedule.batches > 1) shuffle.shuffle(order)
    all.set(order, epoch * trainCount)
  }
  return all
}

/** Every epoch's shift of every training picture: [epochs × trainCount × 2] as (dx, dy). */
export function augmentShifts(seed: number, epochs: number, trainCount: number, maxShift: number): Int32Array {
  const all = new Int32Array(epochs * trainCount * 2)
  for (let epoch = 1; epoch <= epochs; epoch++) all.set(epochShifts(seed, epoch, trainCount, maxShift), (epoch - 1) * trainCount * 2)
  return all
}
