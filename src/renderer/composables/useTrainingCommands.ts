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

  /** Space: start, pause or resume. */
  async function toggle(): Promise<void> {
    if (!training.live) await train()
    else if (training.status === 'paused') await training.control('resume')
    else if (training.status === 'running') await training.control('pause')
  }

  /** One epoch at a time; from idle, start paused and take the first step. */
  async function step(): Promise<void> {
    if (!training.live) {
      await train(true)
      if (!training.live) return
    }
    if (training.status === 'running') await training.control('pause')
    await training.control('step')
  }

  async function stop(): Promise<void> {
    if (training.live) await training.control('stop')
  }

  return { canTrain, running, paused, train, toggle, step, stop }
}
