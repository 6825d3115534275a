import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { Experiment } from '../../shared/experiment'
import type { LabEvent, SweepKindName, SweepState } from '../../shared/lab-api'
import { getLabClient } from '../lab-client'

/**
 * The sweeps in the runs folder plus the running one, newest state of each.
 * The host rebuilds the list from the run folders, so it is listed again when
 * the runs change (a deleted run takes its point along).
 */
export const useSweepsStore = defineStore('sweeps', () => {
  const sweeps = ref<SweepState[]>([])
  const error = ref<string | null>(null)
  const starting = ref(false)
  let listed = false
  /** States that arrived while a listing was on its way: newer than what the listing brings. */
  const arrivedDuring = new Set<Map<string, SweepState>>()

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
    const arrived = new Map<string, SweepState>()
    arrivedDuring.add(arrived)
    try {
      const list = await getLabClient().listSweeps()
      // Replace, not merge: a sweep whose runs were all deleted is gone.
      sweeps.value = list.map((s) => arrived.get(s.id) ?? s)
      for (const s of arrived.values()) upsert(s)
      listed = true
    } catch (err) {
      error.value = (err as Error).message
    } finally {
      arrivedDuring.delete(arrived)
    }
  }

  async function ensureListed(): Promise<void> {
    if (!listed) await refresh()
  }

  async function start(base: Experiment, kind: SweepKindName, values: number[], preset?: string, seeds = 1): Promise<void> {
    starting.value = true
    error.value = null
    try {
      upsert(await getLabClient().startSweep(base, { kind, values, ...(seeds > 1 ? { seeds } : {}) }, { pace: null, ...(preset ? { preset } : {}) }))
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
    if (event.type === 'sweep') {
      upsert(event.sweep)
      for (const arrived of arrivedDuring) arrived.set(event.sweep.id, event.sweep)
    } else if (event.type === 'runs-changed' && listed) void refresh()
  }

  return { sweeps, error, starting, running, latest, refresh, ensureListed, start, stop, handleEvent }
})
