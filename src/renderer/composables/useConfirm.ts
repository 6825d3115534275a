import { readonly, ref } from 'vue'

/**
 * A question the page asks before it throws work away, answered in an in-page
 * dialog (components/ConfirmDialog.vue, mounted once in App.vue) rather than
 * window.confirm, so both doors and Playwright see the same thing.
 */
export interface ConfirmRequest {
  title: string
  message: string
  /** The button that goes ahead (the dialog's Cancel keeps things as they are). */
  confirmLabel: string
  cancelLabel?: string
}

interface Pending extends ConfirmRequest {
  resolve: (answer: boolean) => void
}

// One question at a time for the whole page.
const pending = ref<Pending | null>(null)

export function useConfirm() {
  /** Resolves true for the confirm button, false for Cancel, Esc, or a newer question. */
  function ask(request: ConfirmRequest): Promise<boolean> {
    pending.value?.resolve(false)
    return new Promise((resolve) => {
      pending.value = { ...request, resolve }
    })
  }

  function answer(value: boolean): void {
    const current = pending.value
    pending.value = null
    current?.resolve(value)
  }

  return { pending: readonly(pending), ask, answer }
}
