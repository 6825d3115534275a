import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppInfo, LabEvent } from '../../shared/lab-api'
import { getLabClient } from '../lab-client'
import { useRobustnessStore } from './robustness'
import { useRunsStore } from './runs'
import { useSweepsStore } from './sweeps'
import { useTrainingStore } from './training'

/** What the app knows about itself and its connection to the host; routes the host's events to the stores. */
export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null)
  const connected = ref(false)
  const error = ref<string | null>(null)
  const lastEvent = ref<LabEvent | null>(null)
  /** A short message for the status line ("Saved patterns-3.cnnlab.json"). */
  const notice = ref<{ text: string; kind: 'info' | 'error'; at: number } | null>(null)
  let started = false

  async function start(): Promise<void> {
    if (started) return
    started = true
    const lab = getLabClient()
    const training = useTrainingStore()
    const runs = useRunsStore()
    const robustness = useRobustnessStore()
    const sweeps = useSweepsStore()
    let hellos = 0
    lab.onEvent((event) => {
      lastEvent.value = event
      // A second hello is a reconnected event stream (the browser door closes one that falls behind):
      // events were missed, so resync the live run and the runs list from the host.
      if (event.type === 'hello' && ++hellos > 1) {
        void training.attach()
        void runs.refresh()
      }
      if (event.type === 'hello' || event.type === 'ping') connected.value = true
      training.handleEvent(event)
      runs.handleEvent(event)
      robustness.handleEvent(event)
      sweeps.handleEvent(event)
    })
    try {
      info.value = await lab.appInfo()
      connected.value = true
    } catch (err) {
      error.value = (err as Error).message
    }
    await training.attach()
  }

  function notify(text: string, kind: 'info' | 'error' = 'info'): void {
    const current = { text, kind, at: Date.now() }
    notice.value = current
    // Errors stay longer: they usually ask the user to do something.
    setTimeout(() => {
      if (notice.value === current) notice.value = null
    }, kind === 'error' ? 10_000 : 4_000)
  }

  return { info, connected, error, lastEvent, notice, start, notify }
})
