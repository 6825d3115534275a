import { computed } from 'vue'
import { useAppStore } from '../stores/app'
import { useExperimentStore } from '../stores/experiment'
import { useTrainingStore } from '../stores/training'

/** Train / Pause / Step / Stop as the buttons and the keyboard both use them. */
export function useTrainingCommands() {
  const training = useTrainingStore()
  const experiment = useExperimentStore()
  const app = useAppStore()

  const canTrain = computed(() => !training.live && experiment.runnable !== null)
  const running = computed(() => training.live && (training.status === 'running' || training.status === 'starting'))
  const paused = computed(() => training.live && training.status === 'paused')

  async function train(paused = false): Promise<void> {
    const recipe = experiment.runnable
    if (!recipe) {
      app.notify('The experiment has invalid values: fix the highlighted fields in the editor first.', 'error')
      return
    }
    experiment.edited = false
    await training.start(recipe, { preset: experiment.presetId ?? undefined, paused })
  }

  /** Space: start, pause or resume (nothing while the run is still starting or stopping). */
  async function toggle(): Promise<void> {
    if (!training.live) await train()
    else if (training.status === 'paused') await training.control('resume')
    else if (training.status === 'running') await training.control('pause')
  }

  /**
   * One step (one batch of the model furthest behind) while paused; a running
   * run is paused first, and from idle a run starts paused.
   */
  async function step(): Promise<void> {
    if (!training.live) {
      await train(true)
      return
    }
    if (training.status === 'running') await training.control('pause')
    else if (training.status === 'paused') await training.control('step')
  }

  async function stop(): Promise<void> {
    if (training.live) await training.control('stop')
  }

  return { canTrain, running, paused, train, toggle, step, stop }
}
