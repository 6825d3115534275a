import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { Experiment } from '../../shared/experiment'
import type { LabEvent, SweepKindName, SweepState } from '../../shared/lab-api'
import { getLabClient } from '../lab-client'

/** The sweeps of this session (the host keeps them; a reload asks again), newest state of each. */
export const useSweepsStore = defineStore('sweeps', () => {
  const sweeps = ref<SweepState[]>([])
  const error = ref<string | null>(null)
  const starting = ref(false)
  let listed = false

  const running = computed(() => sweeps.value.find((s) => s.status === 'running') ?? null)
  /** The newest sweep of each kind: what the chart compares. */
  const latest = computed(() => {
    const out: Partial<Record<SweepKindName, SweepState>> = {}
    for (const s of sweeps.value) out[s.kind] = s
    return out
  })

  function upsert(state: SweepState): void {
    const at = sweeps.value.findIndex((s) => s.id === state.id)
    if (at >= 0) sweeps.value.splice(at, 1, state)
    else sweeps.value.push(state)
  }

  async function refresh(): Promise<void> {
    try {
      const list = await getLabClient().listSweeps()
      for (const s of list) upsert(s)
      listed = true
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  async function ensureListed(): Promise<void> {
    if (!listed) await refresh()
  }

  async function start(base: Experiment, kind: SweepKindName, values: number[], preset?: string): Promise<void> {
    starting.value = true
    error.value = null
    try {
      upsert(await getLabClient().startSweep(base, { kind, values }, { pace: null, ...(preset ? { preset } : {}) }))
    } catch (err) {
      error.value = (err as Error).message
    } finally {
      starting.value = false
    }
  }

  async function stop(): Promise<void> {
    try {
      await getLabClient().stopSweep()
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  function handleEvent(event: LabEvent): void {
    if (event.type === 'sweep') upsert(event.sweep)
  }

  return { sweeps, error, starting, running, latest, refresh, ensureListed, start, stop, handleEvent }
})
