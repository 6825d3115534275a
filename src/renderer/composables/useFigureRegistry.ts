import { inject, onBeforeUnmount, provide, type InjectionKey } from 'vue'
import type { BundleFigure } from '../lib/view-bundle'
import type { FigureFormat } from '../lib/figure-file'

/**
 * What a figure card hands its view: its title and a function giving the
 * bytes its own PNG / SVG buttons export. Any card (or a shared figure-card
 * composable) can register one; the view's "Export all" reads only this.
 */
export interface RegisteredFigure {
  readonly title: string
  /** Null while the card shows nothing (an empty state): it is left out of the zip. */
  render(format: FigureFormat): Uint8Array | null | Promise<Uint8Array | null>
}

interface FigureRegistry {
  figures: Set<RegisteredFigure>
}

export interface FigureCollector {
  /** Every registered figure that shows something, as PNG and SVG, in the order the cards were set up. */
  collect(): Promise<BundleFigure[]>
}

const KEY: InjectionKey<FigureRegistry> = Symbol('figures')

/** A view provides a registry; every figure card in it registers, so "Export all" can reach them. */
export function provideFigureRegistry(): FigureCollector {
  const registry: FigureRegistry = { figures: new Set() }
  provide(KEY, registry)
  return {
    async collect() {
      const out: BundleFigure[] = []
      for (const figure of [...registry.figures]) {
        const png = await figure.render('png')
        const svg = await figure.render('svg')
        if (png && svg) out.push({ title: figure.title, png, svg })
        // Let the page breathe between off-screen renders: a view has up to a dozen figures.
        await new Promise((resolve) => setTimeout(resolve, 0))
      }
      return out
    },
  }
}

export function registerFigure(figure: RegisteredFigure): void {
  const registry = inject(KEY, null)
  if (!registry) return
  registry.figures.add(figure)
  onBeforeUnmount(() => registry.figures.delete(figure))
}
