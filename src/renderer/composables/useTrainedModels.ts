import { computed } from 'vue'
import { datasetInfo } from '../../engine/datasets'
import { modelWithWeights, type ProbedModel } from '../lib/explorer'
import { useTrainingStore } from '../stores/training'

/**
 * The dashboards' models rebuilt in the renderer with their final weights (or
 * the latest snapshot of a finished run), for probes that run per drag step.
 */
export function useTrainedModels() {
  const training = useTrainingStore()

  const built = computed<{ models: ProbedModel[]; reason: string | null; inputShape: number[] | null }>(() => {
    const exp = training.experiment
    if (!exp) return { models: [], reason: 'Open a lesson and train it (or open a run or a saved experiment with results).', inputShape: null }
    const inputShape = [...datasetInfo(exp.dataset).inputShape]
    const models: ProbedModel[] = []
    for (const spec of exp.models) {
      const weights = training.weightsFor(spec.id)
      if (!weights) continue
      try {
        models.push({ id: spec.id, label: spec.label, spec, model: modelWithWeights(spec, inputShape, weights), conv: spec.layers.some((l) => l.type === 'conv2d') })
      } catch {
        // A model whose weights do not fit is left out; the others still show.
      }
    }
    const reason = models.length ? null : training.live ? 'The models are still training: their final weights arrive when the run ends.' : 'Train the models first: this view needs trained weights.'
    return { models, reason, inputShape }
  })

  return { built, training }
}
