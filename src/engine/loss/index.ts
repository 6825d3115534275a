/** The training spec's loss name → loss object, and one import path for both losses. */
import type { TrainingSpec } from '../../shared/experiment'
import { BinaryCrossEntropy } from './binary-cross-entropy'
import { SoftmaxCrossEntropy, type Loss } from './softmax-cross-entropy'

export type { Loss, LossResult } from './softmax-cross-entropy'
export { SoftmaxCrossEntropy, argmaxRows, countCorrectArgmax } from './softmax-cross-entropy'
export { BinaryCrossEntropy, countCorrectBinary } from './binary-cross-entropy'

export function createLoss(kind: TrainingSpec['loss']): Loss {
  return kind === 'binary-cross-entropy' ? new BinaryCrossEntropy() : new SoftmaxCrossEntropy()
}
