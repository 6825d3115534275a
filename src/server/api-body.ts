/**
 * Turning a `POST /api/<method>` body into a call, the same way on the main
 * thread (small bodies) and in the body worker (large ones, see body-worker.ts).
 *
 * A large body is parsed and validated off the main thread, and cut down there
 * to what the main thread needs: `startRun` drops the file's old `results`
 * (megabytes of tensors no run records), and a pure method such as
 * `parseExperimentText` is answered whole by the worker, reply text included.
 */
import { isLabMethod, parseLabArgs, type LabResult } from '../shared/lab-api'
import { parseExperiment } from '../shared/experiment'
import { bytesReviver } from '../shared/wire-bytes'

/** What the main thread does next: call the service with these args, or send this reply as is. */
export type PreparedCall =
  | { kind: 'args'; args: unknown[] }
  | { kind: 'reply'; status: number; json: string }

/** The HTTP status of a call's envelope. */
export function statusFor(result: LabResult): number {
  return result.ok ? 200 : result.error.startsWith('unknown lab method') ? 404 : 400
}

function reply(status: number, result: LabResult): PreparedCall {
  return { kind: 'reply', status, json: JSON.stringify(result) }
}

/** JSON.parse and the `{args: [...]}` shape; every door's body goes through this. */
export function parseCallBody(text: string): PreparedCall {
  let body: unknown
  try {
    // Bytes in the args (importRun's zip or files) arrive as {"$bytes": base64}.
    body = JSON.parse(text, bytesReviver)
  } catch (err) {
    return reply(400, { ok: false, error: `bad request body: ${(err as Error).message}` })
  }
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { args?: unknown }).args)) {
    return reply(400, { ok: false, error: 'request body must be {"args": [...]}' })
  }
  return { kind: 'args', args: (body as { args: unknown[] }).args }
}

/** Methods with no host state: the worker answers them itself. */
const PURE_METHODS = new Set(['parseExperimentText'])

/** The part of LabService the worker uses (a LabService without a data folder). */
export interface PureCaller {
  call(name: unknown, rawArgs: unknown): Promise<LabResult>
}

/** The worker's whole job for one large body. */
export async function prepareLargeCall(name: string, text: string, pure: PureCaller): Promise<PreparedCall> {
  const parsed = parseCallBody(text)
  if (parsed.kind === 'reply' || !isLabMethod(name)) return parsed
  const checked = parseLabArgs(name, parsed.args)
  if (!checked.ok) return reply(400, checked)
  if (PURE_METHODS.has(name)) {
    const result = await pure.call(name, parsed.args)
    return reply(statusFor(result), result)
  }
  if (name === 'startRun') {
    const [experiment, options] = parsed.args
    // Invalid: the service's own words (it has no supervisor here, but refuses the recipe first).
    if (!parseExperiment(experiment).ok) {
      const result = await pure.call(name, parsed.args)
      return reply(statusFor(result), result)
    }
    const { results: _results, ...recipe } = experiment as Record<string, unknown>
    return { kind: 'args', args: options === undefined ? [recipe] : [recipe, options] }
  }
  return parsed
}
