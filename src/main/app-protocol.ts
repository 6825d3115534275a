/**
 * The renderer over `app://cnn-lab/…` instead of `file://`, as Electron's
 * security checklist recommends: a page on a file:// URL can read any other
 * file:// URL, and the file-protocol fuse that grants it extra privileges is
 * turned off in packaged builds (electron-builder.yml).
 *
 * Files resolve strictly inside out/renderer with the browser door's own
 * resolver (no `..`, no encoded separators, no symlinks out), and carry the
 * same CSP and headers. No Electron import here, so vitest checks it directly;
 * index.ts registers the scheme and hands requests to `rendererResponse`.
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { CONTENT_TYPES, CSP, resolveStaticPath } from '../server/http-server'

export const APP_SCHEME = 'app'
export const APP_HOST = 'cnn-lab'
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`

/**
 * standard: relative URLs and an origin (so CSP 'self' and module scripts work);
 * secure: treated like https (no mixed-content downgrade); supportFetchAPI: the
 * renderer's fetch of its own assets; codeCache: V8 caches the bundle.
 */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, codeCache: true } as const

const HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

function refuse(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } })
}

/** Answer one `app://` request from the files in `rendererDir`. */
export async function rendererResponse(rendererDir: string, requestUrl: string, method = 'GET'): Promise<Response> {
  let url: URL
  try {
    url = new URL(requestUrl)
  } catch {
    return refuse(400, 'bad request')
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return refuse(404, 'not found')
  if (method !== 'GET' && method !== 'HEAD') return refuse(405, 'method not allowed')
  const file = await resolveStaticPath(rendererDir, url.pathname)
  if (!file) return refuse(404, 'not found')
  const body = method === 'HEAD' ? null : await fs.readFile(file)
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
  return new Response(body, { status: 200, headers: { ...HEADERS, 'Content-Type': type } })
}
