/**
 * A view's "Export all": the figures its cards registered, plus what the
 * view says its data is (the experiment, the run or runs, extra tables),
 * built into one zip and handed to the door (a download in the browser, a
 * save dialog in Electron).
 */
import { ref, type Ref } from 'vue'
import { getLabClient } from '../lab-client'
import { buildViewBundle, type BundleRun, type BundleTable } from '../lib/view-bundle'
import { useAppStore } from '../stores/app'
import { useTrainingStore } from '../stores/training'
import { provideFigureRegistry } from './useFigureRegistry'

export interface BundleData {
  experiment: string
  runs: BundleRun[]
  tables?: BundleTable[]
}

export interface ViewBundleExport {
  busy: Ref<boolean>
  exportAll(): Promise<void>
}

/** The dashboards' run (live, opened, or an experiment file's results) as the bundle describes it. */
export function trainingBundleData(training: ReturnType<typeof useTrainingStore>): BundleData {
  const experiment = training.experiment?.name ?? 'experiment'
  if (training.source.kind === 'recipe' || training.metrics.length === 0) return { experiment, runs: [] }
  return {
    experiment,
    runs: [
      {
        id: training.runId ?? undefined,
        startedAt: training.startedAt ?? undefined,
        models: training.models.map((m) => ({ id: m.id, label: m.label, route: m.route?.label })),
        metrics: training.metrics,
      },
    ],
  }
}

/** Call in a view's setup (it provides the view's figure registry). `data` defaults to the dashboards' run. */
export function useViewBundle(view: string, data?: () => BundleData): ViewBundleExport {
  const figures = provideFigureRegistry()
  const app = useAppStore()
  const training = useTrainingStore()
  const busy = ref(false)
  return {
    busy,
    async exportAll() {
      if (busy.value) return
      busy.value = true
      try {
        const bundle = buildViewBundle({ view, ...(data ? data() : trainingBundleData(training)), figures: await figures.collect(), createdAt: new Date().toISOString() })
        const saved = await getLabClient().saveZip(bundle.fileName, bundle.zip)
        if (saved) app.notify(`Exported ${saved.path.split(/[\\/]/).pop()} (${bundle.files.length} files)`)
      } catch (err) {
        app.notify(`Could not export the view: ${(err as Error).message}`, 'error')
      } finally {
        busy.value = false
      }
    },
  }
}
