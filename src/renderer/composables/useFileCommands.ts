import { shallowRef } from 'vue'
import { Experiment } from '../../shared/experiment'
import { experimentFileText, keepOnly, MAX_EXPERIMENT_BYTES, SAVE_KEEPS, utf8Length, type SaveKeeps } from '../../shared/experiment-file'
import { getLabClient } from '../lab-client'
import { useDiscardGuard } from './useDiscardGuard'
import { useAppStore } from '../stores/app'
import { useExperimentStore } from '../stores/experiment'
import { useNavigationStore } from '../stores/navigation'
import { useTrainingStore } from '../stores/training'

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path
}

/** A save waiting for the user's choice in the save dialog (components/SaveDialog.vue). */
export interface SaveRequest {
  /** The file's suggested name (without the suffix). */
  name: string
}

/** One save dialog for the whole page, whichever button, key or menu asked for it. */
const pendingSave = shallowRef<SaveRequest | null>(null)

/** The size of each save choice, in bytes, exactly as the file will be written. */
export function measureSaveChoices(experiment: Experiment): Record<SaveKeeps, number | null> {
  const results = experiment.results
  const sizes = {} as Record<SaveKeeps, number | null>
  for (const keeps of SAVE_KEEPS) {
    const nothing = keeps !== 'recipe' && (!results || (keeps === 'snapshots' && results.snapshots.length === 0))
    sizes[keeps] = nothing ? null : utf8Length(experimentFileText(keepOnly(experiment, keeps)))
  }
  return sizes
}

/** The choice a dialog starts on: the most the file can keep and still open again. */
export function defaultSaveChoice(sizes: Record<SaveKeeps, number | null>): SaveKeeps {
  const fits = (keeps: SaveKeeps) => sizes[keeps] !== null && sizes[keeps]! <= MAX_EXPERIMENT_BYTES
  return fits('snapshots') ? 'snapshots' : fits('final') ? 'final' : 'recipe'
}

/**
 * Open… and Save…, shared by the header buttons, Ctrl+O / Ctrl+S and the
 * Electron menu. Save asks what the file keeps (recipe / + final results /
 * + every snapshot), with each choice's size; a file with results reopens
 * with its dashboards.
 */
/** "Patterns, 3 classes (edited)" → "patterns-3-classes-edited": a file name that travels by mail. */
export function fileSlug(name: string): string {
  const slug = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60).replace(/-+$/, '')
  return slug || 'experiment'
}

export function useFileCommands() {
  const app = useAppStore()
  const experiment = useExperimentStore()
  const training = useTrainingStore()
  const nav = useNavigationStore()
  const mayReplaceRecipe = useDiscardGuard()

  async function open(): Promise<void> {
    try {
      const opened = await getLabClient().openExperiment()
      if (!opened) return
      const name = baseName(opened.name)
      if (!(await mayReplaceRecipe(name))) return
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

  /**
   * What the save dialog cuts its choices from: validated, defaults filled in.
   * Reactive: final weights that arrive just after a run ends update the dialog.
   */
  function saveTarget(): { ok: true; experiment: Experiment } | { ok: false; error: string } {
    const target = toSave()
    if (!target) return { ok: false, error: 'Nothing to save yet, or the experiment has invalid values (see the editor).' }
    const checked = Experiment.safeParse(target)
    if (checked.success) return { ok: true, experiment: checked.data }
    const issue = checked.error.issues[0]
    return { ok: false, error: `Cannot save: ${issue?.path.join('.')}: ${issue?.message}` }
  }

  /** Opens the save dialog, which shows each choice with its size. */
  async function save(): Promise<void> {
    const target = saveTarget()
    if (!target.ok) {
      app.notify(target.error, 'error')
      return
    }
    // An edited recipe is saved under its own name, so it never looks like the preset it came from.
    const original = experiment.edited ? null : (experiment.presetId ?? experiment.fileName?.replace(/\.cnnlab\.json$|\.json$/i, ''))
    const name = original ?? fileSlug(target.experiment.name)
    pendingSave.value = { name }
  }

  /** The dialog's answer: write the chosen part of what it measured, or (null) cancel. */
  async function finishSave(answer: { keeps: SaveKeeps; experiment: Experiment } | null): Promise<void> {
    const request = pendingSave.value
    pendingSave.value = null
    if (!request || !answer) return
    const kept = keepOnly(answer.experiment, answer.keeps)
    try {
      const saved = await getLabClient().saveExperiment(kept, request.name)
      if (saved) experiment.markSaved()
      const what = answer.keeps === 'recipe' ? '' : answer.keeps === 'final' ? ' with its final results' : ' with its results and every snapshot'
      if (saved) app.notify(`Saved ${baseName(saved.path)}${what}`)
    } catch (err) {
      app.notify(`Could not save: ${(err as Error).message}`, 'error')
    }
  }

  return { open, save, saveTarget, finishSave, pendingSave }
}
