import type { Experiment } from '../../shared/experiment'
import { getLabClient } from '../lab-client'
import { useAppStore } from '../stores/app'
import { useExperimentStore } from '../stores/experiment'
import { useNavigationStore } from '../stores/navigation'
import { useTrainingStore } from '../stores/training'

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path
}

/**
 * Open… and Save…, shared by the header buttons, Ctrl+O / Ctrl+S and the
 * Electron menu. Saving after training includes the results (metrics,
 * snapshots, final weights), so the file reopens with its dashboards.
 */
export function useFileCommands() {
  const app = useAppStore()
  const experiment = useExperimentStore()
  const training = useTrainingStore()
  const nav = useNavigationStore()

  async function open(): Promise<void> {
    try {
      const opened = await getLabClient().openExperiment()
      if (!opened) return
      const name = baseName(opened.name)
      experiment.loadExperiment(opened.experiment, name)
      if (opened.experiment.results && opened.experiment.results.metrics.length > 0) training.showResults(opened.experiment, name)
      else training.showRecipe(experiment.recipe)
      nav.go('compare')
      app.notify(`Opened ${name}${opened.experiment.results ? ' with its results' : ''}`)
    } catch (err) {
      app.notify(`Could not open the file: ${(err as Error).message}`, 'error')
    }
  }

  /** What Save writes: the trained experiment with its results, unless the recipe was edited since. */
  function toSave(): Experiment | null {
    const results = training.results()
    if (results && training.experiment && !experiment.edited) return { ...training.experiment, results }
    return experiment.runnable
  }

  async function save(): Promise<void> {
    const target = toSave()
    if (!target) {
      app.notify('Nothing to save yet, or the experiment has invalid values (see the editor).', 'error')
      return
    }
    const name = experiment.presetId ?? experiment.fileName?.replace(/\.cnnlab\.json$|\.json$/i, '') ?? target.name
    try {
      const saved = await getLabClient().saveExperiment(target, name)
      if (saved) experiment.markSaved()
      if (saved) app.notify(`Saved ${baseName(saved.path)}${target.results ? ' with its results' : ''}`)
    } catch (err) {
      app.notify(`Could not save: ${(err as Error).message}`, 'error')
    }
  }

  return { open, save }
}
