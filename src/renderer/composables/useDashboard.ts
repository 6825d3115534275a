import { computed } from 'vue'
import type { ChartModel } from '../lib/chart-options'
import { modelColor } from '../lib/palette'
import { useExperimentStore } from '../stores/experiment'
import type { ModelSummary } from '../../shared/training-events'
import { modelsFromRecipe } from '../lib/training-state'
import { useTrainingStore } from '../stores/training'
import { useThemeStore } from '../stores/theme'

/**
 * What the Compare view draws: the training store's models once something
 * ran (or a file/run was opened), else the recipe's shapes and parameter
 * counts as they stand in the editor, so the dashboards are never empty.
 */
export function useDashboard() {
  const training = useTrainingStore()
  const experiment = useExperimentStore()
  const theme = useThemeStore()

  const models = computed<ModelSummary[]>(() => {
    if (training.source.kind !== 'recipe') return training.models
    return experiment.recipe ? modelsFromRecipe(experiment.recipe) : []
  })
  const chartModels = computed<ChartModel[]>(() =>
    models.value.map((m, index) => ({ id: m.id, label: m.label, epochs: m.epochs, color: modelColor(theme.palette, m.id, index) })),
  )
  return { models, chartModels }
}
