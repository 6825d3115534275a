import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ExportedFile, ImportSource, LabEvent, RunDetails, RunListItem } from '../../shared/lab-api'
import { getLabClient } from '../lab-client'

/** The runs folder as a list, refreshed when the host says it changed; up to two runs picked for an overlay. */
export const useRunsStore = defineStore('runs', () => {
  const items = ref<RunListItem[]>([])
  const loading = ref(false)
  const error = ref<string | null>(null)
  const overlayIds = ref<string[]>([])
  const overlay = ref<RunDetails[]>([])
  let refreshing: Promise<void> | null = null
  let again = false

  async function refresh(): Promise<void> {
    // Coalesce bursts of runs-changed into at most one extra reload.
    if (refreshing) {
      again = true
      return refreshing
    }
    loading.value = true
    refreshing = (async () => {
      do {
        again = false
        try {
          const list = await getLabClient().listRuns()
          items.value = [...list].sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''))
          error.value = null
        } catch (err) {
          error.value = (err as Error).message
        }
      } while (again)
    })()
    try {
      await refreshing
    } finally {
      refreshing = null
      loading.value = false
    }
  }

  async function remove(id: string): Promise<void> {
    try {
      await getLabClient().deleteRun(id)
      overlayIds.value = overlayIds.value.filter((x) => x !== id)
      overlay.value = overlay.value.filter((d) => d.id !== id)
      items.value = items.value.filter((item) => item.id !== id)
    } catch (err) {
      error.value = (err as Error).message
    }
    await refresh()
  }

  async function open(id: string): Promise<RunDetails | null> {
    try {
      return await getLabClient().openRun(id)
    } catch (err) {
      error.value = (err as Error).message
      return null
    }
  }

  /** The run as a PyTorch project (a zip the host builds), or null with the host's reason in `error`. */
  async function exportPytorch(id: string): Promise<ExportedFile | null> {
    try {
      return await getLabClient().exportPytorch(id)
    } catch (err) {
      error.value = `Could not export the PyTorch project: ${(err as Error).message}`
      return null
    }
  }

  /** train.py's output (a zip or a folder's files) into the runs folder; the list is reloaded so it shows. */
  async function importRun(source: ImportSource): Promise<{ runId: string; name: string } | null> {
    try {
      const imported = await getLabClient().importRun(source)
      error.value = null
      await refresh()
      return imported
    } catch (err) {
      error.value = `Could not import the run: ${(err as Error).message}`
      return null
    }
  }

  /** Tick a run for the overlay; a third tick drops the oldest. */
  async function toggleOverlay(id: string): Promise<void> {
    if (overlayIds.value.includes(id)) {
      overlayIds.value = overlayIds.value.filter((x) => x !== id)
      overlay.value = overlay.value.filter((d) => d.id !== id)
      return
    }
    overlayIds.value = [...overlayIds.value, id].slice(-2)
    const details = await open(id)
    if (details && overlayIds.value.includes(id)) overlay.value = [...overlay.value.filter((d) => overlayIds.value.includes(d.id) && d.id !== id), details]
  }

  function handleEvent(event: LabEvent): void {
    if (event.type === 'runs-changed' || event.type === 'run-ended') void refresh()
  }

  return { items, loading, error, overlayIds, overlay, refresh, remove, open, exportPytorch, importRun, toggleOverlay, handleEvent }
})
