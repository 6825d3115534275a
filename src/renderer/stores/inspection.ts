import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { Experiment } from '../../shared/experiment'
import type { ValidationSamples } from '../../shared/lab-api'
import type { Tensor } from '../../engine/tensor'
import { getLabClient } from '../lab-client'
import { useTrainingStore } from './training'

/** How many val pictures the picker fetches at a time. */
const PAGE = 48
/** Datasets whose picked picture (and drawing) is remembered, so switching back finds them again. */
const REMEMBERED = 8

/** Everything the inspection holds for one dataset: a page of val pictures, the pick, the drawing. */
interface DatasetState {
  key: string
  page: ValidationSamples
  index: number
  mode: 'val' | 'draw'
  drawn: Float32Array
}

/** The val pictures depend on the whole dataset spec (kind, size, counts, seeds, shift). */
export function datasetKey(experiment: Experiment): string {
  return JSON.stringify(experiment.dataset)
}

/**
 * The input the Explorer and the Trace look at: a validation picture (fetched
 * from the host, which has MNIST's digits) or one the user drew. Shared, so
 * the Trace shows the picture the Explorer was dragging.
 *
 * Keyed to the dashboards' current experiment: every getter answers for the
 * experiment that is current now and is null while its pictures are on their
 * way, so a view never pairs an 8x8 picture with a 28x28 model (or the other
 * way) in the moment between a switch and the reply. Replies that arrive
 * after another switch are dropped.
 */
export const useInspectionStore = defineStore('inspection', () => {
  const training = useTrainingStore()
  const state = shallowRef<DatasetState | null>(null)
  const remembered = new Map<string, DatasetState>()
  const loadingKey = ref<string | null>(null)
  const failure = ref<{ key: string; message: string } | null>(null)
  let request = 0

  /** The dataset of the experiment the dashboards show. */
  const key = computed(() => (training.experiment ? datasetKey(training.experiment) : null))
  const current = computed(() => (state.value && state.value.key === key.value ? state.value : null))

  const samples = computed(() => current.value?.page ?? null)
  const index = computed(() => current.value?.index ?? 0)
  const mode = computed(() => current.value?.mode ?? 'val')
  const drawn = computed(() => current.value?.drawn ?? null)
  const loading = computed(() => loadingKey.value !== null && loadingKey.value === key.value)
  const error = computed(() => (failure.value && failure.value.key === key.value ? failure.value.message : null))
  const shape = computed(() => samples.value?.shape ?? null)
  const classes = computed(() => samples.value?.classes ?? [])
  const label = computed(() => {
    const c = current.value
    if (!c || c.mode === 'draw') return null
    const l = c.page.labels[c.index - c.page.start]
    return l === undefined ? null : (c.page.classes[l] ?? String(l))
  })

  /** One picture, [C, H, W]. */
  const input = computed<Tensor | null>(() => {
    const c = current.value
    if (!c) return null
    if (c.mode === 'draw') return { shape: c.page.shape, data: c.drawn }
    const image = c.page.images[c.index - c.page.start]
    return image ? { shape: c.page.shape, data: Float32Array.from(image) } : null
  })

  function update(patch: Partial<DatasetState>): void {
    const c = current.value
    if (!c) return
    const next = { ...c, ...patch }
    state.value = next
    remembered.set(next.key, next)
  }

  function remember(s: DatasetState): void {
    remembered.delete(s.key)
    remembered.set(s.key, s)
    while (remembered.size > REMEMBERED) remembered.delete(remembered.keys().next().value!)
  }

  async function fetchPage(experiment: Experiment, wanted: string, start: number): Promise<ValidationSamples | null> {
    const mine = ++request
    loadingKey.value = wanted
    failure.value = null
    try {
      const page = await getLabClient().validationSamples(experiment, start, PAGE)
      return mine === request && key.value === wanted ? page : null
    } catch (err) {
      if (mine === request) failure.value = { key: wanted, message: (err as Error).message }
      return null
    } finally {
      if (mine === request) loadingKey.value = null
    }
  }

  /** Follows the current experiment: its remembered pictures at once, or the first page from the host. */
  async function sync(): Promise<void> {
    const experiment = training.experiment
    const wanted = key.value
    if (!experiment || !wanted || current.value || loadingKey.value === wanted) return
    const known = remembered.get(wanted)
    if (known) {
      state.value = known
      remember(known)
      return
    }
    const page = await fetchPage(experiment, wanted, 0)
    if (!page) return
    const size = page.shape.reduce((a, b) => a * b, 1)
    const fresh: DatasetState = { key: wanted, page, index: 0, mode: 'val', drawn: new Float32Array(size) }
    state.value = fresh
    remember(fresh)
  }

  /** The next or previous val picture of the current experiment, fetching another page when needed. */
  async function pick(next: number): Promise<void> {
    const c = current.value
    const experiment = training.experiment
    if (!c || !experiment) return
    const target = Math.max(0, Math.min(c.page.total - 1, next))
    if (target >= c.page.start && target < c.page.start + c.page.images.length) {
      update({ index: target, mode: 'val' })
      return
    }
    const page = await fetchPage(experiment, c.key, Math.floor(target / PAGE) * PAGE)
    if (page && current.value?.key === c.key) update({ page, index: target, mode: 'val' })
  }

  function setDrawn(data: Float32Array): void {
    if (current.value && data.length === current.value.drawn.length) update({ drawn: data, mode: 'draw' })
  }

  function setMode(next: 'val' | 'draw'): void {
    update({ mode: next })
  }

  return { key, samples, index, mode, drawn, loading, error, shape, classes, label, input, sync, pick, setDrawn, setMode }
})
