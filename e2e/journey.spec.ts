/**
 * A whole lesson in one page, as a teacher walks it: four experiments of three
 * image sizes one after the other, every view visited after each, and never a
 * reload. The bugs that matter most (a view keeping the last lesson's state)
 * only show up on such a walk, so each stop asserts that every figure drew
 * pixels and that the page logged no error.
 */
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { setPace, waitForStatus } from './lab'
import { expectAllDrawn } from './pixels'
import { goTo } from './views'

/** Picks a lesson from the Lessons view of the page already open (no reload). */
async function pickLesson(page: Page, presetId: string, edited = false): Promise<void> {
  await goTo(page, 'presets')
  await page.locator(`[data-preset-id="${presetId}"]`).click()
  await page.getByTestId('open-in-compare').click()
  if (edited) {
    // The last lesson was edited: the page asks before dropping the edits, and the teacher agrees.
    await expect(page.getByTestId('confirm-dialog')).toBeVisible()
    await page.getByTestId('confirm-ok').click()
  }
  await expect(page.getByTestId('preset-select')).toHaveValue(presetId)
}

async function train(page: Page): Promise<void> {
  await setPace(page, 'full speed')
  await page.getByTestId('train-button').click()
  await waitForStatus(page, 'completed', 180_000)
}

/** Every view after a run: each must follow the run just trained, and draw. */
async function visitEveryView(page: Page, lesson: string, record: Record<string, string[]>): Promise<void> {
  const minimum: Record<string, number> = { compare: 2, kernels: 2, explorer: 2, trace: 2 }
  for (const view of ['compare', 'kernels', 'explorer', 'trace'] as const) {
    await goTo(page, view)
    if (view === 'explorer') {
      // Shift the picture two pixels, as a student would, so the equivariance maps have something to show.
      await page.getByTestId('shift-pad').focus()
      await page.keyboard.press('ArrowRight')
      await page.keyboard.press('ArrowRight')
      await expect(page.getByTestId('shift-pad')).toHaveAttribute('data-dx', '2')
    }
    record[`${lesson} ${view}`] = await expectAllDrawn(page, `${lesson} → ${view}`, minimum[view])
  }
  await goTo(page, 'runs')
  const rows = page.locator('[data-testid="runs-table"] tbody tr[data-run-id]')
  await expect(rows.first()).toBeVisible()
  // Overlay the newest run (and the one before it, where there is one).
  const count = await rows.count()
  for (let i = 0; i < Math.min(2, count); i++) {
    const box = rows.nth(i).locator('input[type="checkbox"]')
    if (!(await box.isChecked())) await box.check()
  }
  record[`${lesson} runs`] = await expectAllDrawn(page, `${lesson} → runs`, 1)
  for (let i = 0; i < Math.min(2, count); i++) await rows.nth(i).locator('input[type="checkbox"]').uncheck()
}

test('a whole lesson in one page: edge-detector → patterns-3 → mnist (small) → patterns-5 edited, every view drawn after each', async ({ page, labServer }) => {
  test.setTimeout(600_000)
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`)
  })
  const drawn: Record<string, string[]> = {}
  await page.goto(labServer.url)

  await pickLesson(page, 'edge-detector')
  await train(page)
  await visitEveryView(page, 'edge-detector', drawn)

  await pickLesson(page, 'patterns-3')
  await train(page)
  await visitEveryView(page, 'patterns-3', drawn)

  // MNIST, small enough to train inside a test: 28x28 pictures after 8x8 ones.
  await pickLesson(page, 'mnist')
  await goTo(page, 'editor')
  await page.getByLabel('train count').fill('2000')
  await page.getByLabel('val count').fill('300')
  await page.getByLabel('epochs').fill('1')
  await goTo(page, 'compare')
  await train(page)
  await visitEveryView(page, 'mnist', drawn)

  // Back to 8x8, edited: fewer epochs, so the edited run is told apart.
  await pickLesson(page, 'patterns-5', true)
  await goTo(page, 'editor')
  await page.getByLabel('epochs').fill('30')
  await goTo(page, 'compare')
  await train(page)
  await visitEveryView(page, 'patterns-5 edited', drawn)

  // Reopening an older run of another size: every view follows it too.
  await goTo(page, 'runs')
  const mnistRow = page.locator('[data-testid="runs-table"] tbody tr[data-run-id]').nth(1)
  await mnistRow.getByRole('button', { name: /open/i }).click()
  await expect(page.locator('.nav-item.active')).toHaveAttribute('data-nav', 'compare')
  await visitEveryView(page, 'mnist reopened', drawn)
  await goTo(page, 'trace')
  await expect(page.locator('[data-testid="trace-card"]').first()).toHaveAttribute('data-stages', /^input \[1, 28, 28\]/)
  // The edited lesson's run is told apart from the preset's by its name.
  await goTo(page, 'runs')
  await expect(page.locator('[data-testid="runs-table"] tbody tr[data-run-id]').first()).toContainText('(edited)')

  console.log(`journey: figures drawn per stop ${JSON.stringify(Object.fromEntries(Object.entries(drawn).map(([k, v]) => [k, v.length])))}`)
  expect(errors).toEqual([])
})
