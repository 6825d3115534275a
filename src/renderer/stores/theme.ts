import { defineStore } from 'pinia'
import { computed, ref, watchEffect } from 'vue'
import { paletteFor, type ThemeName } from '../lib/palette'

export type ThemeMode = 'system' | 'light' | 'dark'
const KEY = 'cnn-lab.theme'

function readMode(): ThemeMode {
  const saved = typeof localStorage === 'undefined' ? null : localStorage.getItem(KEY)
  return saved === 'light' || saved === 'dark' ? saved : 'system'
}

/** Light or dark: the user's choice, or the system's. Sets `data-theme` on <html> for the CSS variables. */
export const useThemeStore = defineStore('theme', () => {
  const mode = ref<ThemeMode>(readMode())
  const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null
  const systemDark = ref(media?.matches ?? false)
  media?.addEventListener('change', (e) => (systemDark.value = e.matches))

  const resolved = computed<ThemeName>(() => (mode.value === 'system' ? (systemDark.value ? 'dark' : 'light') : mode.value))
  const palette = computed(() => paletteFor(resolved.value))

  watchEffect(() => {
    document.documentElement.dataset.theme = resolved.value
    if (mode.value === 'system') localStorage.removeItem(KEY)
    else localStorage.setItem(KEY, mode.value)
  })

  function setMode(next: ThemeMode): void {
    mode.value = next
  }
  /** system → light → dark → system */
  function cycle(): void {
    mode.value = mode.value === 'system' ? 'light' : mode.value === 'light' ? 'dark' : 'system'
  }

  return { mode, resolved, palette, setMode, cycle }
})
