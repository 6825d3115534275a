/**
 * One lesson preset as a list shows it: the engine builds these from its
 * presets, the host hands them to the renderer (`listPresets`), and the
 * terminal door prints them (`lab presets`).
 */
export interface PresetSummary {
  id: string
  name: string
  /** The lesson it reproduces, e.g. `"000"` or `"002 + 003"`. */
  lesson: string
  description: string
}
