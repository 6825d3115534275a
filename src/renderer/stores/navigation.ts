import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import { findView, type ViewId } from '../views/registry'

function fromHash(hash: string): ViewId | null {
  return findView(hash.replace(/^#\/?/, ''))?.id ?? null
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
