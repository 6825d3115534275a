import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { Experiment } from '../../shared/experiment'
import { getLabClient } from '../lab-client'
import { editedName, sameRecipe, validateDraft } from '../lib/editor'
import { useAppStore } from './app'

/**
 * The recipe being prepared: a preset or an opened file, as edited in the
 * experiment editor. Results are not kept here (they belong to the
 * dashboards); `runnable` is the validated experiment to train, or null.
 *
 * `origin` is the recipe as it was loaded, so the editor can say whether it is
 * `modified`, reset to it, and name an edited recipe "<name> (edited)" until
 * the user gives it a name of their own.
 */
export const useExperimentStore = defineStore('experiment', () => {
  const recipe = ref<Experiment | null>(null)
  const origin = ref<Experiment | null>(null)
  const presetId = ref<string | null>(null)
  /** Where the recipe came from, for the title and the save name. */
  const fileName = ref<string | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  /** Edited since the last run started (Save then writes the recipe without the old results). */
  const edited = ref(false)
  /** The user typed a name: it no longer follows the "(edited)" rule. */
  const nameTouched = ref(false)
  /** The recipe as last saved to a file (null: not saved since it was loaded). */
  const saved = ref<Experiment | null>(null)

  // Checked against the host's budget (until appInfo answers, the default one).
  const validation = computed(() => (recipe.value ? validateDraft(recipe.value, useAppStore().info?.budget) : null))
  const runnable = computed<Experiment | null>(() => {
    if (!recipe.value || !validation.value?.ok) return null
    const parsed = Experiment.safeParse(recipe.value)
    return parsed.success ? parsed.data : null
  })
  /** Differs from the preset or file it came from (its name included). */
  const modified = computed(() => !!recipe.value && !!origin.value && !sameRecipe(recipe.value, origin.value))
  /** Edits that only live in this page: switching to another recipe would lose them. */
  const unsaved = computed(() => modified.value && !(saved.value && sameRecipe(recipe.value, saved.value)))

  function adopt(experiment: Experiment): void {
    recipe.value = withoutResults(experiment)
    origin.value = withoutResults(experiment)
    saved.value = null
    edited.value = false
    nameTouched.value = false
    error.value = null
  }

  async function loadPreset(id: string): Promise<void> {
    loading.value = true
    error.value = null
    try {
      const experiment = await getLabClient().getPreset(id)
      adopt(experiment)
      presetId.value = id
      fileName.value = null
    } catch (err) {
      error.value = (err as Error).message
    } finally {
      loading.value = false
    }
  }

  function loadExperiment(experiment: Experiment, name: string): void {
    adopt(experiment)
    presetId.value = null
    fileName.value = name
  }

  /** After any edit of the recipe in place: it goes by "<name> (edited)" unless the user named it. */
  function markEdited(): void {
    edited.value = true
    const r = recipe.value
    const o = origin.value
    if (!r || !o || nameTouched.value) return
    r.name = sameRecipe(r, o, true) ? o.name : editedName(o.name)
  }

  function rename(name: string): void {
    if (!recipe.value) return
    recipe.value.name = name
    nameTouched.value = true
    edited.value = true
  }

  /** Back to the recipe as it was loaded (the preset, or the file). */
  function reset(): void {
    if (!origin.value) return
    recipe.value = withoutResults(origin.value)
    nameTouched.value = false
    edited.value = true
  }

  function markSaved(): void {
    saved.value = recipe.value ? withoutResults(recipe.value) : null
  }

  return {
    recipe,
    origin,
    presetId,
    fileName,
    loading,
    error,
    edited,
    validation,
    runnable,
    modified,
    unsaved,
    loadPreset,
    loadExperiment,
    markEdited,
    rename,
    reset,
    markSaved,
  }
})

function withoutResults(experiment: Experiment): Experiment {
  // A deep copy: the editor mutates it in place.
  const copy = JSON.parse(JSON.stringify(experiment)) as Experiment
  delete copy.results
  return copy
}
