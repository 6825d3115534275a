import { inject, onBeforeUnmount, provide, type InjectionKey } from 'vue'
import type { FigureFormat } from '../lib/figure-file'

export interface RegisteredFigure {
  title: string
  save(format: FigureFormat): Promise<unknown>
}

interface FigureRegistry {
  figures: Set<RegisteredFigure>
}

const KEY: InjectionKey<FigureRegistry> = Symbol('figures')

/** A view provides a registry; every chart card in it registers, so "export all figures" can reach them. */
export function provideFigureRegistry(): { exportAll(format: FigureFormat): Promise<number> } {
  const registry: FigureRegistry = { figures: new Set() }
  provide(KEY, registry)
  return {
    async exportAll(format) {
      let count = 0
      // One after another: browsers throttle a burst of simultaneous downloads.
      for (const figure of [...registry.figures]) {
        await figure.save(format)
        count++
        await new Promise((resolve) => setTimeout(resolve, 150))
      }
      return count
    },
  }
}

export function registerFigure(figure: RegisteredFigure): void {
  const registry = inject(KEY, null)
  if (!registry) return
  registry.figures.add(figure)
  onBeforeUnmount(() => registry.figures.delete(figure))
}
