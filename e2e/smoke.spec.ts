import { request as httpRequest } from 'node:http'
import path from 'node:path'
import { presetSummaries } from '../src/engine/experiment/presets'
import { ROOT, expect, test } from './fixtures'

/** A raw GET with exactly the headers given (fetch would not let us forge Host). */
function rawGet(port: number, pathname: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: pathname, method: 'GET', headers }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}

test('the browser door lists the lesson presets', async ({ page, labServer }) => {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text())
  })

  await page.goto(labServer.url)
  await expect(page.getByRole('heading', { name: 'CNN Lab' })).toBeVisible()
  await expect(page.getByRole('heading', { name: 'Lesson presets' })).toBeVisible()

  const expected = presetSummaries()
  const cards = page.getByTestId('preset-list').getByRole('option')
  await expect(cards).toHaveCount(expected.length)
  for (const preset of expected) {
    const card = page.locator(`[data-preset-id="${preset.id}"]`)
    await expect(card).toContainText(preset.name)
    await expect(card).toContainText(`Lesson ${preset.lesson}`)
    await expect(card).toBeInViewport()
  }

  // The first preset is picked and described; the door and version come from appInfo().
  await expect(page.getByTestId('preset-details')).toContainText(expected[0].name)
  await expect(page.getByTestId('preset-details')).toContainText('parameters')
  await expect(page.getByTestId('app-status')).toContainText('Browser')

  // Picking another preset asks the host for it.
  await cards.nth(1).click()
  await expect(cards.nth(1)).toHaveAttribute('aria-selected', 'true')
  await expect(page.getByTestId('preset-details')).toContainText(expected[1].name)
  await cards.first().click()
  await expect(page.getByTestId('preset-details')).toContainText(expected[0].name)

  // The token left the address bar, and the API keeps working from the cookie/sessionStorage.
  expect(page.url()).not.toContain('token=')
  await page.reload()
  await expect(cards).toHaveCount(expected.length)

  await page.screenshot({ path: path.join(ROOT, 'test-results', 'screenshots', 'presets.png') })
  expect(errors).toEqual([])
})

test('requests without the token get 403', async ({ labServer }) => {
  const host = `127.0.0.1:${labServer.port}`
  expect(await rawGet(labServer.port, '/', { Host: host })).toBe(403)
  expect(await rawGet(labServer.port, '/?token=wrong', { Host: host })).toBe(403)
  const api = await fetch(`${labServer.origin}/api/listPresets`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{"args":[]}',
  })
  expect(api.status).toBe(403)
  // With the token, the same call works.
  const ok = await fetch(`${labServer.origin}/api/listPresets`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Lab-Token': labServer.token },
    body: '{"args":[]}',
  })
  expect(ok.status).toBe(200)
})

test('a foreign Host header gets 403 even with the token', async ({ labServer }) => {
  const withToken = `/?token=${labServer.token}`
  expect(await rawGet(labServer.port, withToken, { Host: `127.0.0.1:${labServer.port}` })).toBe(200)
  expect(await rawGet(labServer.port, withToken, { Host: `evil.example:${labServer.port}` })).toBe(403)
  expect(await rawGet(labServer.port, withToken, { Host: 'localhost' })).toBe(403)
})
