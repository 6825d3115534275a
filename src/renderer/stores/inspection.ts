import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { Experiment } from '../../shared/experiment'
import type { ValidationSamples } from '../../shared/lab-api'
import type { Tensor } from '../../engine/tensor'
import { getLabClient } from '../lab-client'

/** How many val pictures the picker fetches at a time. */
const PAGE = 48

/**
 * The input the Explorer and the Trace look at: a validation picture (fetched
 * from the host, which has MNIST's digits) or one the user drew. Shared, so
 * the Trace shows the picture the Explorer was dragging.
 */
export const useInspectionStore = defineStore('inspection', () => {
  const samples = shallowRef<ValidationSamples | null>(null)
  const index = ref(0)
  const mode = ref<'val' | 'draw'>('val')
  const drawn = shallowRef<Float32Array | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  let loadedFor: string | null = null

  const shape = computed(() => samples.value?.shape ?? null)
  const classes = computed(() => samples.value?.classes ?? [])
  const label = computed(() => {
    const s = samples.value
    if (!s || mode.value === 'draw') return null
    const l = s.labels[index.value - s.start]
    return l === undefined ? null : (s.classes[l] ?? String(l))
  })

  /** One picture, [C, H, W]. */
  const input = computed<Tensor | null>(() => {
    const s = samples.value
    if (!s) return null
    if (mode.value === 'draw') return drawn.value ? { shape: s.shape, data: drawn.value } : null
    const image = s.images[index.value - s.start]
    return image ? { shape: s.shape, data: Float32Array.from(image) } : null
  })

  async function load(experiment: Experiment, start = 0): Promise<void> {
    const key = JSON.stringify(experiment.dataset)
    if (loadedFor === `${key}@${start}` && samples.value) return
    loading.value = true
    error.value = null
    try {
      samples.value = await getLabClient().validationSamples(experiment, start, PAGE)
      loadedFor = `${key}@${start}`
      if (index.value < start || index.value >= start + samples.value.images.length) index.value = start
      if (!drawn.value || drawn.value.length !== samples.value.shape.reduce((a, b) => a * b, 1)) {
        drawn.value = new Float32Array(samples.value.shape.reduce((a, b) => a * b, 1))
      }
    } catch (err) {
      error.value = (err as Error).message
    } finally {
      loading.value = false
    }
  }

  /** The next or previous val picture, fetching another page when needed. */
  async function pick(next: number, experiment: Experiment): Promise<void> {
    const s = samples.value
    if (!s) return
    const target = Math.max(0, Math.min(s.total - 1, next))
    mode.value = 'val'
    if (target < s.start || target >= s.start + s.images.length) await load(experiment, Math.floor(target / PAGE) * PAGE)
    index.value = target
  }

  function setDrawn(data: Float32Array): void {
    drawn.value = data
    mode.value = 'draw'
  }

  return { samples, index, mode, drawn, loading, error, shape, classes, label, input, load, pick, setDrawn }
})
