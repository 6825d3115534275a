import { defineStore } from 'pinia'
import { ref, watch } from 'vue'

export type ViewId = 'presets' | 'compare' | 'editor' | 'kernels' | 'explorer' | 'trace' | 'sweeps' | 'runs' | 'calculator'
export const VIEW_IDS: readonly ViewId[] = ['presets', 'compare', 'editor', 'kernels', 'explorer', 'trace', 'sweeps', 'runs', 'calculator']

/**
 * Each view's main control, focused after the view opens (best first; the first one shown and
 * enabled wins). A view can also mark its control with `data-main-control`, which comes first.
 */
export const MAIN_CONTROLS: Record<ViewId, readonly string[]> = {
  presets: ['.preset-card.selected', '[data-preset-id]'],
  compare: ['[data-testid="train-button"]', '[data-testid="preset-select"]'],
  editor: ['.editor-view :is(input, select, textarea)'],
  kernels: ['[data-testid="kernels-play"]', '.kernels-view input[type="range"]', '.kernels-view button'],
  explorer: ['[data-testid="shift-pad"]', '.explorer-view button'],
  trace: ['.trace-view button[aria-label="Next picture"]', '.trace-view button'],
  sweeps: ['[data-testid="sweep-start"]', '[data-testid="sweep-kind"]'],
  runs: ['[data-testid="runs-table"] tbody button', '.runs-view button'],
  calculator: ['.calculator-view input'],
}

function fromHash(hash: string): ViewId | null {
  const id = hash.replace(/^#\/?/, '')
  return (VIEW_IDS as readonly string[]).includes(id) ? (id as ViewId) : null
}

/** Which view is shown; kept in the address's hash so a reload stays where the user was. */
export const useNavigationStore = defineStore('navigation', () => {
  const view = ref<ViewId>(fromHash(location.hash) ?? 'presets')

  watch(view, (id) => {
    const url = new URL(location.href)
    url.hash = id
    history.replaceState(history.state, '', url.pathname + url.search + url.hash)
  })
  window.addEventListener('hashchange', () => {
    const id = fromHash(location.hash)
    if (id) view.value = id
  })

  function go(id: ViewId): void {
    view.value = id
  }
  return { view, go }
})
