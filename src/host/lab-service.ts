/**
 * The host side of the lab API: a plain Node class (no Electron import) that
 * both the Electron main process and the browser server call.
 *
 * `call(name, rawArgs)` is the single entry point from a door: it validates the
 * raw arguments with the method's zod tuple, runs the method, and returns a
 * `LabResult` envelope; it never throws.
 */
import {
  isLabMethod,
  parseLabArgs,
  type AppInfo,
  type LabDoor,
  type LabEvent,
  type LabEventListener,
  type LabMethodsApi,
  type LabResult,
  type PresetSummary,
  type Unsubscribe,
} from '../shared/lab-api'
import type { Experiment } from '../shared/experiment'
import { getPreset, presetSummaries } from '../engine/experiment/presets'

export interface LabServiceOptions {
  door: LabDoor
  version: string
  name?: string
}

/** A method's failure that is the caller's fault; its message crosses the boundary as is. */
export class LabError extends Error {}

/** `implements LabMethodsApi` makes the compiler insist on one method per LAB_METHODS entry. */
export class LabService implements LabMethodsApi {
  private readonly listeners = new Set<LabEventListener>()

  constructor(private readonly options: LabServiceOptions) {}

  // ── the methods (one per entry of LAB_METHODS) ────────────────────────────

  async appInfo(): Promise<AppInfo> {
    return { name: this.options.name ?? 'CNN Lab', version: this.options.version, door: this.options.door }
  }

  async listPresets(): Promise<PresetSummary[]> {
    return presetSummaries().map(({ id, name, lesson, description }) => ({ id, name, lesson, description }))
  }

  async getPreset(id: string): Promise<Experiment> {
    const experiment = getPreset(id)
    if (!experiment) throw new LabError(`unknown preset "${id}"`)
    return experiment
  }

  // ── the door's entry point ────────────────────────────────────────────────

  /** Validate and run one call; the reply is always an envelope, never a throw. */
  async call(name: unknown, rawArgs: unknown): Promise<LabResult> {
    if (!isLabMethod(name)) return { ok: false, error: `unknown lab method "${String(name).slice(0, 64)}"` }
    const parsed = parseLabArgs(name, rawArgs)
    if (!parsed.ok) return parsed
    try {
      const fn = this[name] as (...args: unknown[]) => Promise<unknown>
      const value = await fn.apply(this, parsed.args as unknown[])
      return { ok: true, value }
    } catch (err) {
      if (err instanceof LabError) return { ok: false, error: err.message }
      // An unexpected failure: log it here, send only its message.
      console.error(`lab method ${name} failed:`, err)
      return { ok: false, error: `${name} failed: ${err instanceof Error ? err.message : String(err)}` }
    }
  }

  // ── events ────────────────────────────────────────────────────────────────

  onEvent(listener: LabEventListener): Unsubscribe {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit(event: LabEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (err) {
        console.error('lab event listener failed:', err)
      }
    }
  }

  helloEvent(): LabEvent {
    return { type: 'hello', door: this.options.door, at: Date.now() }
  }
}

