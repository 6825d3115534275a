import { onBeforeUnmount, shallowRef, watch, type ShallowRef } from 'vue'

/**
 * A copy of a reactive value that follows it at most once per painted frame.
 * The one rate rule between the engine and a chart has two halves: the host's
 * coalescer (src/host/coalescer.ts) caps the channel at 30 batches a second,
 * and this lets each chart take only the latest option per frame. This half
 * must stay: ~8 charts × 30 setOption calls a second swamp a busy page (the
 * patterns-3 e2e saw no update for 20 s without it), while frames slow down
 * with the page, so the charts follow at whatever rate it can paint.
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
