import { defineConfig } from '@playwright/test'

// The end-to-end tests drive the browser door (a real `npm run serve` child
// process, see e2e/fixtures.ts) in Chromium, and the Electron door where the
// Electron binary exists. Run `electron-vite build` first (npm test does).
export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/playwright',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  reporter: [['list']],
  use: {
    trace: 'retain-on-failure',
  },
})
