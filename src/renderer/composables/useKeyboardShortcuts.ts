import { onBeforeUnmount, onMounted } from 'vue'

/** Fields that take typed characters: no single-key shortcut may fire inside them. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  const tag = target.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag !== 'INPUT') return false
  const type = (target as HTMLInputElement).type
  return !['checkbox', 'radio', 'button', 'submit', 'range'].includes(type)
}

/** Controls that Space activates natively (a focused button, a checkbox): Space is theirs, not a shortcut's. */
export function ownsSpace(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  return ['BUTTON', 'A', 'INPUT', 'SUMMARY'].includes(target.tagName) || target.getAttribute('role') === 'slider'
}

export function useKeydown(handler: (event: KeyboardEvent) => void): void {
  onMounted(() => window.addEventListener('keydown', handler))
  onBeforeUnmount(() => window.removeEventListener('keydown', handler))
}

/** P (no Ctrl/Alt/Meta, not while typing) toggles presentation mode; Space, ".", Esc, Ctrl+O/S stay Compare's and the files'. */
export function isPresentationShortcut(event: KeyboardEvent): boolean {
  return event.key.toLowerCase() === 'p' && !event.ctrlKey && !event.metaKey && !event.altKey && !event.repeat && !isTypingTarget(event.target)
}
