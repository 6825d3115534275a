import { useExperimentStore } from '../stores/experiment'
import { useConfirm } from './useConfirm'

/**
 * Loading another recipe (a preset, a file) replaces the one in the editor:
 * edits that were never saved are asked about first. Resolves true to go ahead.
 */
export function useDiscardGuard() {
  const experiment = useExperimentStore()
  const { ask } = useConfirm()

  return async function mayReplaceRecipe(replacement: string): Promise<boolean> {
    if (!experiment.unsaved || !experiment.recipe) return true
    return ask({
      title: 'Discard your edits?',
      message: `"${experiment.recipe.name}" has edits that are not saved to a file. Opening ${replacement} replaces them.`,
      confirmLabel: `Discard edits and open ${replacement}`,
      cancelLabel: 'Keep my edits',
    })
  }
}
