import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { Experiment } from '../../shared/experiment'
import { getLabClient } from '../lab-client'
import { validateDraft } from '../lib/editor'

/**
 * The recipe being prepared: a preset or an opened file, as edited in the
 * experiment editor. Results are not kept here (they belong to the
 * dashboards); `runnable` is the validated experiment to train, or null.
 */
export const useExperimentStore = defineStore('experiment', () => {
  const recipe = ref<Experiment | null>(null)
  const presetId = ref<string | null>(null)
  /** Where the recipe came from, for the title and the save name. */
  const fileName = ref<string | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  const edited = ref(false)

  const validation = computed(() => (recipe.value ? validateDraft(recipe.value) : null))
  const runnable = computed<Experiment | null>(() => {
    if (!recipe.value || !validation.value?.ok) return null
    const parsed = Experiment.safeParse(recipe.value)
    return parsed.success ? parsed.data : null
  })

  async function loadPreset(id: string): Promise<void> {
    loading.value = true
    error.value = null
    try {
      const experiment = await getLabClient().getPreset(id)
      recipe.value = withoutResults(experiment)
      presetId.value = id
      fileName.value = null
      edited.value = false
    } catch (err) {
      error.value = (err as Error).message
    } finally {
      loading.value = false
    }
  }

  function loadExperiment(experiment: Experiment, name: string): void {
    recipe.value = withoutResults(experiment)
    presetId.value = null
    fileName.value = name
    edited.value = false
    error.value = null
  }

  function markEdited(): void {
    edited.value = true
  }

  return { recipe, presetId, fileName, loading, error, edited, validation, runnable, loadPreset, loadExperiment, markEdited }
})

function withoutResults(experiment: Experiment): Experiment {
  // A deep copy: the editor mutates it in place.
  const copy = JSON.parse(JSON.stringify(experiment)) as Experiment
  delete copy.results
  return copy
}
