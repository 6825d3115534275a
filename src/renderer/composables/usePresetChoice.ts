import { useExperimentStore } from '../stores/experiment'
import { useNavigationStore } from '../stores/navigation'
import { usePresetsStore } from '../stores/presets'
import { useTrainingStore } from '../stores/training'
import { useDiscardGuard } from './useDiscardGuard'

/** Picking a lesson: load its recipe for the editor and show its (untrained) dashboards. */
export function usePresetChoice() {
  const experiment = useExperimentStore()
  const presets = usePresetsStore()
  const training = useTrainingStore()
  const nav = useNavigationStore()
  const mayReplaceRecipe = useDiscardGuard()

  /** Resolves false when nothing changed (a run is live, or the user kept their edits). */
  async function choose(id: string, options: { go?: boolean } = {}): Promise<boolean> {
    if (training.live) return false
    if (!(await mayReplaceRecipe(id))) return false
    void presets.select(id)
    await experiment.loadPreset(id)
    training.showRecipe(experiment.recipe)
    if (options.go) nav.go('compare')
    return true
  }

  /** The Compare view opened with nothing chosen: the picked (or first) lesson. */
  async function ensureChosen(): Promise<void> {
    if (experiment.recipe || training.source.kind !== 'recipe') return
    if (presets.summaries.length === 0) await presets.load()
    const id = presets.selectedId ?? presets.summaries[0]?.id
    if (id) await choose(id)
  }

  return { choose, ensureChosen }
}
