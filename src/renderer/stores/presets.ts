import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { Experiment } from '../../shared/experiment'
import type { PresetSummary } from '../../shared/lab-api'
import { getLabClient } from '../lab-client'

/** The lesson presets: the list from the host, and the one the user picked. */
export const usePresetsStore = defineStore('presets', () => {
  const summaries = ref<PresetSummary[]>([])
  const loading = ref(false)
  const error = ref<string | null>(null)
  const selectedId = ref<string | null>(null)
  const selected = ref<Experiment | null>(null)
  const selectedError = ref<string | null>(null)

  const selectedSummary = computed(() => summaries.value.find((p) => p.id === selectedId.value) ?? null)

  async function load(): Promise<void> {
    loading.value = true
    error.value = null
    try {
      summaries.value = await getLabClient().listPresets()
      if (!selectedId.value && summaries.value.length > 0) await select(summaries.value[0].id)
    } catch (err) {
      error.value = (err as Error).message
    } finally {
      loading.value = false
    }
  }

  async function select(id: string): Promise<void> {
    selectedId.value = id
    selectedError.value = null
    try {
      const experiment = await getLabClient().getPreset(id)
      if (selectedId.value === id) selected.value = experiment
    } catch (err) {
      if (selectedId.value === id) {
        selected.value = null
        selectedError.value = (err as Error).message
      }
    }
  }

  return { summaries, loading, error, selectedId, selected, selectedError, selectedSummary, load, select }
})
