import { nextTick, onBeforeUnmount, watch, type Ref } from 'vue'
import { useNavigationStore } from '../stores/navigation'
import { findView, type ViewId } from '../views/registry'

/** How long a view may take to show its main control (the Explorer builds its models first). */
const WAIT_MS = 15_000

function usable(el: Element): el is HTMLElement {
  if (!(el instanceof HTMLElement) || el.closest('[hidden], .visually-hidden')) return false
  if ((el as HTMLButtonElement).disabled) return false
  return el.getClientRects().length > 0
}

/** `primaryOnly`: the view's own main control; the fallbacks are for when it never shows (a disabled Play). */
function findMainControl(main: HTMLElement, view: ViewId, primaryOnly: boolean): HTMLElement | null {
  const controls: readonly string[] = findView(view)?.mainControls ?? []
  for (const selector of ['[data-main-control]', ...(primaryOnly ? controls.slice(0, 1) : controls)]) {
    const hit = [...main.querySelectorAll(selector)].find(usable)
    if (hit) return hit
  }
  return null
}

/**
 * After a view changes, the main area scrolls back to the top and keyboard focus lands on the
 * view's main control (so Tab, Space and the arrow keys act on it at once). A control that
 * appears late is waited for, unless the user has put focus somewhere else meanwhile.
 */
export function useMainControlFocus(main: Ref<HTMLElement | null>): void {
  const nav = useNavigationStore()
  let observer: MutationObserver | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  const cancel = () => {
    observer?.disconnect()
    observer = null
    if (timer) clearTimeout(timer)
    timer = null
  }

  watch(
    () => nav.view,
    async (view) => {
      cancel()
      await nextTick()
      const root = main.value
      if (!root) return
      root.scrollTop = 0
      root.scrollLeft = 0
      // Focus left where the user was (the nav button clicked, or nothing): only then is it ours to move.
      const before = document.activeElement
      const ours = () => document.activeElement === before || document.activeElement === document.body || document.activeElement === null
      const attempt = (primaryOnly = true): boolean => {
        if (!ours()) return true
        const control = findMainControl(root, view, primaryOnly)
        if (!control) return false
        // preventScroll: the main control is meant to be on screen already (e2e/layout.spec.ts checks it).
        control.focus({ preventScroll: true })
        return true
      }
      if (attempt()) return
      observer = new MutationObserver(() => attempt() && cancel())
      observer.observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['disabled', 'class', 'hidden'] })
      timer = setTimeout(() => {
        cancel()
        attempt(false)
      }, WAIT_MS)
    },
    { immediate: true, flush: 'post' },
  )
  onBeforeUnmount(cancel)
}
