/**
 * The HTTP lab client (browser door): `POST /api/<method>` with `{args}` and
 * the token in `X-Lab-Token`; events from the `GET /api/events` stream.
 *
 * The token arrives in the page URL (`?token=…`); it is kept in
 * sessionStorage and removed from the address bar so it is not shared by a
 * copied link or a screenshot. The server has also set an HttpOnly cookie,
 * which is what authenticates the EventSource.
 */
import {
  LAB_METHOD_NAMES,
  LabEventSchema,
  unwrapResult,
  type LabApi,
  type LabEventListener,
  type LabMethodName,
} from '../../shared/lab-api'
import { bytesReplacer, bytesReviver } from '../../shared/wire-bytes'

const TOKEN_KEY = 'cnn-lab.token'

type LocationLike = Pick<Location, 'href' | 'origin'>
type StorageLike = Pick<Storage, 'getItem' | 'setItem'>
type HistoryLike = Pick<History, 'replaceState' | 'state'>

export function takeToken(location: LocationLike, storage: StorageLike, history: HistoryLike): string {
  const url = new URL(location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    storage.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete('token')
    history.replaceState(history.state, '', url.pathname + url.search + url.hash)
    return fromUrl
  }
  return storage.getItem(TOKEN_KEY) ?? ''
}

export function createHttpClient(location: LocationLike, storage: StorageLike, history: HistoryLike): LabApi {
  const token = takeToken(location, storage, history)
  const base = location.origin

  const call = async (name: LabMethodName, args: unknown[]): Promise<unknown> => {
    let response: Response
    try {
      response = await fetch(`${base}/api/${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Lab-Token': token },
        body: JSON.stringify({ args }, bytesReplacer),
        credentials: 'same-origin',
        cache: 'no-store',
      })
    } catch (err) {
      throw new Error(`the lab server is not reachable (${(err as Error).message}); is "npm run serve" still running?`)
    }
    const type = response.headers.get('content-type') ?? ''
    if (!type.includes('application/json')) {
      throw new Error(response.status === 403 ? 'the lab server refused the request: open the address it printed (with its token)' : `lab server error ${response.status}`)
    }
    return unwrapResult(JSON.parse(await response.text(), bytesReviver))
  }

  const listeners = new Set<LabEventListener>()
  let source: EventSource | null = null
  let retry: ReturnType<typeof setTimeout> | null = null
  const ensureSource = (): void => {
    if (source) return
    const opened = new EventSource(`${base}/api/events`, { withCredentials: true })
    source = opened
    // A dropped stream (the server closes a client that falls behind) reconnects by itself and
    // starts with a new hello, on which the app resyncs. A refused one (a 503 while the server is
    // busy) is CLOSED for good by the browser, so open a new one after a pause.
    opened.onerror = () => {
      if (opened.readyState !== EventSource.CLOSED || source !== opened) return
      source = null
      retry ??= setTimeout(() => {
        retry = null
        if (listeners.size > 0) ensureSource()
      }, 2000)
    }
    opened.onmessage = (message: MessageEvent<string>) => {
      let data: unknown
      try {
        data = JSON.parse(message.data)
      } catch {
        return
      }
      const parsed = LabEventSchema.safeParse(data)
      if (!parsed.success) return
      for (const listener of [...listeners]) listener(parsed.data)
    }
  }

  const methods = Object.fromEntries(LAB_METHOD_NAMES.map((name) => [name, (...args: unknown[]) => call(name, args)]))
  return {
    ...methods,
    onEvent(listener: LabEventListener) {
      listeners.add(listener)
      ensureSource()
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0 && source) {
          source.close()
          source = null
        }
      }
    },
  } as LabApi
}
