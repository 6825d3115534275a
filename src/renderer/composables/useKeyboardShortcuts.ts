import { onBeforeUnmount, onMounted } from 'vue'

/** Keys typed into a field, or pressed on a control that handles them itself, are not shortcuts. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  const tag = target.tagName
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || tag === 'BUTTON' || tag === 'A' || target.getAttribute('role') === 'slider'
}

export function useKeydown(handler: (event: KeyboardEvent) => void): void {
  onMounted(() => window.addEventListener('keydown', handler))
  onBeforeUnmount(() => window.removeEventListener('keydown', handler))
}
