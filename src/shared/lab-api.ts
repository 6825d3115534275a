/**
 * The lab API: the one contract between the renderer and the host, whichever
 * door carries it (Electron IPC or HTTP + server-sent events).
 *
 * `LAB_METHODS` is a method table: each entry names a method, the zod tuple
 * that validates its arguments on the host side, and (as a phantom type) what
 * it resolves to. Adding a method is one line here plus its implementation in
 * `src/host/lab-service.ts`; the preload, the IPC handlers, the HTTP routes
 * and both renderer clients are all built from this table.
 *
 * Everything that crosses a process boundary is treated as `unknown` and
 * validated: arguments with the tuple, results travel as a `LabResult`
 * envelope, and an error crosses as `{ ok: false, error }` and is thrown again
 * on the other side as a plain `Error` with that message.
 */
import { z } from 'zod'
import type { Experiment } from './experiment'

/** What the list of lesson presets shows (mirrors the engine's `PresetSummary`). */
export interface PresetSummary {
  id: string
  name: string
  /** The lesson it reproduces, e.g. `"000"` or `"002 + 003"`. */
  lesson: string
  description: string
}

export type LabDoor = 'electron' | 'browser'

export interface AppInfo {
  name: string
  version: string
  door: LabDoor
}

/** Phantom marker for a method's result type (no runtime value). */
function returns<T>(): T {
  return undefined as T
}

interface MethodDef<A extends z.ZodType<unknown[]>, R> {
  args: A
  result: R
}
function method<A extends z.ZodType<unknown[]>, R>(args: A, result: R): MethodDef<A, R> {
  return { args, result }
}

const presetId = z.string().min(1).max(64)

// ── the method table: one line per method ───────────────────────────────────
export const LAB_METHODS = {
  appInfo: method(z.tuple([]), returns<AppInfo>()),
  listPresets: method(z.tuple([]), returns<PresetSummary[]>()),
  getPreset: method(z.tuple([presetId]), returns<Experiment>()),
}

export type LabMethods = typeof LAB_METHODS
export type LabMethodName = keyof LabMethods
export const LAB_METHOD_NAMES = Object.keys(LAB_METHODS) as LabMethodName[]

export type LabArgs<K extends LabMethodName> = z.input<LabMethods[K]['args']>
export type LabReturn<K extends LabMethodName> = LabMethods[K]['result']

export function isLabMethod(name: unknown): name is LabMethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(LAB_METHODS, name)
}

// ── events: host → renderer ─────────────────────────────────────────────────

/** Every event the host pushes to the renderer; a union on `type`. */
export type LabEvent =
  | { type: 'hello'; door: LabDoor; at: number }
  | { type: 'ping'; at: number }
  | { type: 'menu'; action: 'open' | 'save' }

export type LabEventListener = (event: LabEvent) => void
export type Unsubscribe = () => void

export const LabEventSchema: z.ZodType<LabEvent> = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), door: z.enum(['electron', 'browser']), at: z.number() }),
  z.strictObject({ type: z.literal('ping'), at: z.number() }),
  z.strictObject({ type: z.literal('menu'), action: z.enum(['open', 'save']) }),
])

// ── the interface every door implements ─────────────────────────────────────

export type LabMethodsApi = {
  [K in LabMethodName]: (...args: LabArgs<K>) => Promise<LabReturn<K>>
}

/** `window.lab` in Electron, and what the renderer's lab client implements in both doors. */
export interface LabApi extends LabMethodsApi {
  onEvent(listener: LabEventListener): Unsubscribe
}

// ── the envelope every call crosses the boundary in ─────────────────────────

export type LabResult<T = unknown> = { ok: true; value: T } | { ok: false; error: string }

/** Throw the envelope's error as a plain Error, or return its value. */
export function unwrapResult<T>(result: unknown): T {
  if (typeof result === 'object' && result !== null && 'ok' in result) {
    const r = result as { ok: unknown; value?: unknown; error?: unknown }
    if (r.ok === true) return r.value as T
    if (r.ok === false) throw new Error(typeof r.error === 'string' ? r.error : 'lab call failed')
  }
  throw new Error('lab call returned a malformed reply')
}

/** The IPC channel of a method, and of the event stream. */
export const labChannel = (name: LabMethodName): string => `lab:${name}`
export const LAB_EVENT_CHANNEL = 'lab:event'

/**
 * Validate a call's raw arguments against the method's tuple.
 * Returns a readable message naming the bad argument instead of throwing.
 */
export function parseLabArgs<K extends LabMethodName>(
  name: K,
  raw: unknown,
): { ok: true; args: z.output<LabMethods[K]['args']> } | { ok: false; error: string } {
  const parsed = LAB_METHODS[name].args.safeParse(raw)
  if (parsed.success) return { ok: true, args: parsed.data as z.output<LabMethods[K]['args']> }
  const issue = parsed.error.issues[0]
  const where = issue && issue.path.length > 0 ? `argument ${issue.path.join('.')}: ` : ''
  return { ok: false, error: `${name}: bad arguments: ${where}${issue?.message ?? 'invalid'}` }
}
