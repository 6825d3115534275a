/**
 * Which Chromium the end-to-end tests drive: `CHROMIUM_PATH`, else Debian's
 * `/usr/bin/chromium`, else Playwright's own download. With none, a message
 * says how to get one.
 */
import { existsSync } from 'node:fs'
import { chromium } from '@playwright/test'

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-gpu',
]

export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CHROMIUM_PATH
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv
    throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, but there is no file there.`)
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium'
  let bundled = ''
  try {
    bundled = chromium.executablePath()
  } catch {
    bundled = ''
  }
  if (bundled && existsSync(bundled)) return bundled
  throw new Error(
    'No Chromium for the end-to-end tests. Install one: "apt-get install -y chromium" (Debian/Ubuntu), ' +
      'or "npx playwright install chromium", or point CHROMIUM_PATH at a Chromium or Chrome executable.',
  )
}
