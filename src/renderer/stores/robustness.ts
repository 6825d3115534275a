import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { LabEvent, ProbeSource, RobustnessMaps } from '../../shared/lab-api'
import { getLabClient } from '../lab-client'

/**
 * The shift-robustness map, computed by the host in an engine worker of its
 * own; progress arrives as `probe-progress` events, the maps as the reply.
 * Kept per source, so leaving the view and coming back keeps the answer.
 */
export const useRobustnessStore = defineStore('robustness', () => {
  const key = ref<string | null>(null)
  const maps = shallowRef<RobustnessMaps | null>(null)
  const running = ref<string | null>(null)
  const progress = ref<{ done: number; total: number } | null>(null)
  const error = ref<string | null>(null)
  const seconds = ref<number | null>(null)

  /** Every shift (dx, dy) in [−range, range]²; the explorer passes its drag range (shiftLimit). */
  async function compute(sourceKey: string, source: ProbeSource, range: number): Promise<void> {
    if (running.value) return
    const probeId = `rob-${Date.now().toString(36)}`
    running.value = probeId
    key.value = sourceKey
    maps.value = null
    error.value = null
    progress.value = { done: 0, total: 1 }
    const t0 = performance.now()
    try {
      const result = await getLabClient().robustnessMap(probeId, source, range)
      if (key.value === sourceKey) {
        maps.value = result
        seconds.value = (performance.now() - t0) / 1000
      }
    } catch (err) {
      error.value = (err as Error).message
    } finally {
      running.value = null
    }
  }

  async function cancel(): Promise<void> {
    if (running.value) await getLabClient().cancelProbe(running.value)
  }

  function handleEvent(event: LabEvent): void {
    if (event.type === 'probe-progress' && event.probeId === running.value) progress.value = { done: event.done, total: event.total }
  }

  return { key, maps, running, progress, error, seconds, compute, cancel, handleEvent }
})
