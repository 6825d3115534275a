/**
 * The lab's views, in the sidebar's order: the one list the navigation, the
 * sidebar and the shell read. Adding a view is adding an entry here.
 */
import type { Component } from 'vue'
import PresetPicker from '../components/PresetPicker.vue'
import CalculatorView from './CalculatorView.vue'
import CompareView from './CompareView.vue'
import EditorView from './EditorView.vue'
import ExplorerView from './ExplorerView.vue'
import KernelsView from './KernelsView.vue'
import RunsView from './RunsView.vue'
import SweepsView from './SweepsView.vue'
import TraceView from './TraceView.vue'

export interface ViewEntry {
  /** The address's hash and the sidebar button's `data-nav`. */
  id: string
  label: string
  /** The sidebar's second line, and the folded icon's tooltip. */
  hint: string
  component: Component
  /** One SVG path on a 20x20 grid, stroked: the sidebar icon (all that shows when it is folded). */
  icon: string
  /**
   * Selectors for the control focused after the view opens, best first (the first one shown
   * and enabled wins). A view can also mark its control with `data-main-control`, which comes first.
   */
  mainControls: readonly string[]
}

export const VIEWS = [
  {
    id: 'presets',
    label: 'Lessons',
    hint: 'Pick a lesson preset',
    component: PresetPicker,
    icon: 'M3 4.5h5.5a2 2 0 0 1 2 2V16a1.5 1.5 0 0 0-1.5-1.5H3zM17 4.5h-5.5a2 2 0 0 0-1 .3M17 4.5v10h-6',
    mainControls: ['.preset-card.selected', '[data-preset-id]'],
  },
  {
    id: 'compare',
    label: 'Compare',
    hint: 'CNN vs MLP, live',
    component: CompareView,
    icon: 'M3 16V9M7.5 16V4M12.5 16v-5M17 16V7',
    mainControls: ['[data-testid="train-button"]', '[data-testid="preset-select"]'],
  },
  {
    id: 'editor',
    label: 'Editor',
    hint: 'Data, layers, training',
    component: EditorView,
    icon: 'M3 5.5h14M3 10h14M3 14.5h14M7 3.5v4M13 8v4M9 12.5v4',
    mainControls: ['.editor-view :is(input, select, textarea)'],
  },
  {
    id: 'kernels',
    label: 'Kernels',
    hint: 'Filters by epoch',
    component: KernelsView,
    icon: 'M3 3h4v4H3zM8 3h4v4H8zM13 3h4v4h-4zM3 8h4v4H3zM8 8h4v4H8zM13 8h4v4h-4zM3 13h4v4H3zM8 13h4v4H8zM13 13h4v4h-4z',
    mainControls: ['[data-testid="kernels-play"]', '.kernels-view input[type="range"]', '.kernels-view button'],
  },
  {
    id: 'explorer',
    label: 'Explorer',
    hint: 'Shift an input',
    component: ExplorerView,
    icon: 'M10 2.5v15M2.5 10h15M10 2.5 8 4.5M10 2.5l2 2M10 17.5l-2-2M10 17.5l2-2M2.5 10l2-2M2.5 10l2 2M17.5 10l-2-2M17.5 10l-2 2',
    mainControls: ['[data-testid="shift-pad"]', '.explorer-view button'],
  },
  {
    id: 'trace',
    label: 'Trace',
    hint: 'One input, layer by layer',
    component: TraceView,
    icon: 'M2.5 6h4v8h-4zM9 7.5h3v5H9zM14.5 9h3v2h-3zM6.5 10H9M12 10h2.5',
    mainControls: ['.trace-view button[aria-label="Next picture"]', '.trace-view button'],
  },
  {
    id: 'sweeps',
    label: 'Sweeps',
    hint: 'Accuracy vs size',
    component: SweepsView,
    icon: 'M3 16.5h14M3 3.5v13M5 14c3-1 4-7 6.5-8.5S16 5 17 4.5',
    mainControls: ['[data-testid="sweep-start"]', '[data-testid="sweep-kind"]'],
  },
  {
    id: 'runs',
    label: 'Runs',
    hint: 'Saved training runs',
    component: RunsView,
    icon: 'M3 4h14v3.5H3zM3 8.5h14V12H3zM3 13h14v3.5H3z',
    mainControls: ['[data-testid="runs-table"] tbody button', '.runs-view button'],
  },
  {
    id: 'calculator',
    label: 'Calculator',
    hint: 'Shapes and parameters',
    component: CalculatorView,
    icon: 'M4 2.5h12v15H4zM6.5 5h7v3h-7zM7 11h.01M10 11h.01M13 11h.01M7 14h.01M10 14h.01M13 14h.01',
    mainControls: ['.calculator-view input'],
  },
] as const satisfies readonly ViewEntry[]

export type ViewId = (typeof VIEWS)[number]['id']

/** The entry for `id`, or undefined for a name that is not a view (an old or mistyped address). */
export function findView(id: string): (typeof VIEWS)[number] | undefined {
  return VIEWS.find((view) => view.id === id)
}
