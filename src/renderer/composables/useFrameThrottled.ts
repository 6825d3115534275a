import { onBeforeUnmount, shallowRef, watch, type ShallowRef } from 'vue'

/**
 * A copy of a reactive value that follows it at most once per animation
 * frame: training events may update a chart's data many times between two
 * paints, and only the last one is worth a setOption.
 */
export function useFrameThrottled<T>(source: () => T): ShallowRef<T> {
  const out = shallowRef(source())
  let frame: number | null = null
  const stop = watch(source, () => {
    if (frame !== null) return
    frame = requestAnimationFrame(() => {
      frame = null
      out.value = source()
    })
  })
  onBeforeUnmount(() => {
    stop()
    if (frame !== null) cancelAnimationFrame(frame)
  })
  return out
}
