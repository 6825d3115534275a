/** What several specs do as a user: open a lesson in Compare, set the pace, train to the end. */
import type { Page } from '@playwright/test'
import { expect } from './fixtures'

/** Picks a lesson on the Lessons view and opens it in Compare. */
export async function openLesson(page: Page, url: string, presetId: string): Promise<void> {
  await page.goto(url)
  await page.locator(`[data-preset-id="${presetId}"]`).click()
  await page.getByTestId('open-in-compare').click()
  await expect(page.getByTestId('preset-select')).toHaveValue(presetId)
  await expect(page.getByTestId('train-button')).toBeEnabled()
}

/** The pace slider's stops are 0.5, 1, 2, 5, 10, 20, 50, 100 epochs/s and full speed. */
export async function setPace(page: Page, label: 'full speed' | '2 epochs/s' | '20 epochs/s'): Promise<void> {
  const index = { '2 epochs/s': 2, '20 epochs/s': 5, 'full speed': 8 }[label]
  await page.getByRole('slider').fill(String(index))
  await expect(page.getByTestId('pace-value')).toHaveText(label)
}

export function chart(page: Page, title: string) {
  return page.locator(`figure[data-chart="${title}"]`)
}

export async function points(page: Page, title: string): Promise<number> {
  return Number(await chart(page, title).getAttribute('data-points'))
}

export async function waitForStatus(page: Page, status: string, timeout = 60_000): Promise<void> {
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', status, { timeout })
}

/** Every model's final val accuracy as the page shows it. */
export async function finalAccuracies(page: Page): Promise<Record<string, number>> {
  const cells = page.getByTestId('final-val')
  const out: Record<string, number> = {}
  for (const cell of await cells.all()) out[(await cell.getAttribute('data-model'))!] = Number(await cell.getAttribute('data-value'))
  return out
}

export async function listRunIds(origin: string, token: string): Promise<string[]> {
  const res = await fetch(`${origin}/api/listRuns`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Lab-Token': token },
    body: '{"args":[]}',
  })
  const body = (await res.json()) as { ok: boolean; value: { id: string }[] }
  return body.value.map((r) => r.id)
}

export const OVERLAY = 'Validation accuracy, both models'
