import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppInfo, LabEvent } from '../../shared/lab-api'
import { getLabClient } from '../lab-client'

/** What the app knows about itself and its connection to the host. */
export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null)
  const connected = ref(false)
  const error = ref<string | null>(null)
  const lastEvent = ref<LabEvent | null>(null)
  let started = false

  async function start(): Promise<void> {
    if (started) return
    started = true
    const lab = getLabClient()
    lab.onEvent((event) => {
      lastEvent.value = event
      if (event.type === 'hello' || event.type === 'ping') connected.value = true
    })
    try {
      info.value = await lab.appInfo()
      connected.value = true
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  return { info, connected, error, lastEvent, start }
})
