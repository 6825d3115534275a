import { ref, type Ref } from 'vue'
import { getLabClient } from '../lab-client'
import { safeFileStem } from '../lab-client/door-files'
import type { FigureFormat } from '../lib/figure-file'
import { useAppStore } from '../stores/app'
import { registerFigure } from './useFigureRegistry'

export interface FigureCard {
  /** An export is under way: the buttons wait. */
  busy: Ref<boolean>
  save(format: FigureFormat): Promise<void>
}

/**
 * What every figure card does besides drawing: its PNG/SVG export (file named
 * after the title, saved through the door, the outcome told in a notice), and
 * its place in the view's "export all figures". `render` makes the file.
 */
export function useFigureCard(card: { title: () => string; empty: () => unknown }, render: (format: FigureFormat) => Promise<Blob>): FigureCard {
  const app = useAppStore()
  const busy = ref(false)

  async function save(format: FigureFormat): Promise<void> {
    if (card.empty()) return
    busy.value = true
    try {
      const file = await render(format)
      const saved = await getLabClient().saveFigure(`${safeFileStem(card.title())}.${format}`, format, file)
      if (saved) app.notify(`Exported ${saved.path.split(/[\\/]/).pop()}`)
    } catch (err) {
      app.notify(`Could not export the figure: ${(err as Error).message}`, 'error')
    } finally {
      busy.value = false
    }
  }

  // The view's "Export all" zip takes the same file the buttons save (null while the card is empty).
  registerFigure({
    title: card.title(),
    render: async (format) => (card.empty() ? null : new Uint8Array(await (await render(format)).arrayBuffer())),
  })
  return { busy, save }
}
