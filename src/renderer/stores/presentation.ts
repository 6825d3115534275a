import { defineStore } from 'pinia'
import { computed, ref, watchEffect } from 'vue'

const KEY = 'cnn-lab.presentation'
/** Below this window width (CSS pixels, so browser zoom counts) the sidebar folds to a rail of icons. */
export const NARROW_QUERY = '(max-width: 1099px)'
/** How much larger presentation mode draws everything (type, lines, cells). */
export const PRESENTATION_ZOOM = 1.25

function readSaved(): boolean {
  return typeof localStorage !== 'undefined' && localStorage.getItem(KEY) === 'on'
}

/**
 * Projector-friendly layout: presentation mode (everything 25 % larger, sidebar folded) and the
 * sidebar's own state. Presentation mode is remembered like the theme; the sidebar follows the
 * window's width unless the user folds or opens it by hand.
 */
export const usePresentationStore = defineStore('presentation', () => {
  const on = ref(readSaved())
  const media = typeof matchMedia === 'function' ? matchMedia(NARROW_QUERY) : null
  const narrow = ref(media?.matches ?? false)
  media?.addEventListener('change', (e) => {
    narrow.value = e.matches
    // A window that changes size gets the layout that fits it again.
    sidebarChoice.value = null
  })
  /** null: follow the window's width; otherwise the user's last click on the toggle. */
  const sidebarChoice = ref<'open' | 'folded' | null>(null)

  const sidebarFolded = computed(() => (sidebarChoice.value ? sidebarChoice.value === 'folded' : on.value || narrow.value))

  watchEffect(() => {
    if (on.value) document.documentElement.dataset.presentation = 'on'
    else delete document.documentElement.dataset.presentation
    if (on.value) localStorage.setItem(KEY, 'on')
    else localStorage.removeItem(KEY)
  })

  function toggle(): void {
    on.value = !on.value
    sidebarChoice.value = null
  }
  function toggleSidebar(): void {
    sidebarChoice.value = sidebarFolded.value ? 'open' : 'folded'
  }

  return { on, narrow, sidebarFolded, toggle, toggleSidebar }
})
