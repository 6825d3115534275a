import { expect, test } from './fixtures'
import { waitForStatus } from './lab'

test('keyboard only: Space starts and pauses, "." steps, Esc stops', async ({ page, labServer }) => {
  // Straight to Compare (the address keeps the view); nothing is clicked from here on.
  await page.goto(`${labServer.url}#compare`)
  await expect(page.getByTestId('train-button')).toBeEnabled()

  await page.keyboard.press('Space')
  await waitForStatus(page, 'running', 15_000)
  await page.keyboard.press('Space')
  await waitForStatus(page, 'paused', 15_000)

  const progress = page.getByRole('progressbar')
  const readProgress = async () => Number(await progress.getAttribute('aria-valuenow'))
  // The batch under way when Space was pressed may still land: wait until the progress holds still.
  let last = -1
  await expect
    .poll(async () => {
      const now = await readProgress()
      const still = now === last
      last = now
      return still
    }, { intervals: [400] })
    .toBe(true)
  const before = await readProgress()

  await page.keyboard.press('.')
  await expect.poll(readProgress).toBeGreaterThan(before)
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'paused')

  await page.keyboard.press('Escape')
  await waitForStatus(page, 'stopped', 15_000)
})
