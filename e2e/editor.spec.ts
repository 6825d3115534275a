/**
 * The experiment editor as a teacher uses it: a recipe the host would refuse is
 * never "ready", layers go in anywhere, an edited recipe has a name of its own
 * that Runs shows, and switching presets with unsaved edits asks first.
 */
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { openLesson, setPace, waitForStatus } from './lab'
import { goTo, shot } from './views'

const model = (page: Page, id: 'cnn' | 'mlp') => page.locator(`.model-panel[data-model="${id}"]`)
const row = (page: Page, id: 'cnn' | 'mlp', index: number) => model(page, id).locator(`.layer-editor-row[data-layer-index="${index}"]`)
const types = (page: Page, id: 'cnn' | 'mlp') => model(page, id).locator('.layer-editor-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-layer-type')))
const PRESET_NAME = 'Patterns, 3 classes: TinyCNN vs TinyMLP'

test('the editor refuses what the host would, edits layers anywhere, names the edit and asks before discarding it', async ({ page, labServer }) => {
  await openLesson(page, labServer.url, 'patterns-3')
  await goTo(page, 'editor')
  await expect(page.getByTestId('editor-ready')).toHaveText('ready to train')
  await expect(page.getByTestId('modified-badge')).toHaveCount(0)
  await expect(page.getByTestId('reset-recipe')).toBeDisabled()

  // Two more classes, the output layers left at three: not ready, said at the output layer.
  await page.getByRole('checkbox', { name: 'dot' }).check()
  await page.getByRole('checkbox', { name: 'cross' }).check()
  await expect(page.getByTestId('editor-ready')).toHaveCount(0)
  await expect(page.getByTestId('editor-errors')).toHaveText('2 problems: cannot train yet')
  await expect(row(page, 'cnn', 4).getByTestId('layer-error')).toHaveText(
    'the last layer (linear) gives 3 outputs but the dataset has 5 classes; set outFeatures to 5',
  )
  await expect(row(page, 'mlp', 3).getByTestId('layer-error')).toContainText('set outFeatures to 5')
  await expect(page.getByTestId('editor-problems')).toContainText('TinyCNN, layer 4 (linear): the last layer (linear) gives 3 outputs')
  await expect(page.getByTestId('modified-badge')).toBeVisible()
  await expect(page.getByTestId('experiment-name')).toHaveValue(`${PRESET_NAME} (edited)`)
  await shot(page, 'editor-not-ready')
  await goTo(page, 'compare')
  await expect(page.getByTestId('train-button')).toBeDisabled()

  // Fixed as the message says.
  await goTo(page, 'editor')
  await row(page, 'cnn', 4).getByLabel('width').fill('5')
  await row(page, 'mlp', 3).getByLabel('width').fill('5')
  await expect(page.getByTestId('editor-ready')).toBeVisible()
  await expect(page.getByTestId('layer-error')).toHaveCount(0)

  // A dropout between the MLP's relu (2) and its output layer (3), not after the output.
  expect(await types(page, 'mlp')).toEqual(['flatten', 'linear', 'relu', 'linear'])
  await row(page, 'mlp', 2).getByTestId('insert-layer').selectOption('below:dropout')
  expect(await types(page, 'mlp')).toEqual(['flatten', 'linear', 'relu', 'dropout', 'linear'])
  await expect(row(page, 'mlp', 3).getByTestId('layer-result-3').locator('.mono')).toHaveText('18')
  await expect(row(page, 'mlp', 4).getByTestId('layer-result-4').locator('.mono')).toHaveText('5')

  // Reorder from the keyboard: the dropout goes up above the relu and keeps the focus.
  const up = row(page, 'mlp', 3).getByRole('button', { name: /Move layer 3 \(dropout\) of TinyMLP up/ })
  await up.focus()
  await page.keyboard.press('Enter')
  expect(await types(page, 'mlp')).toEqual(['flatten', 'linear', 'dropout', 'relu', 'linear'])
  await expect(row(page, 'mlp', 2).getByRole('button', { name: /Move layer 2 \(dropout\) of TinyMLP up/ })).toBeFocused()
  await page.keyboard.press('Enter')
  expect(await types(page, 'mlp')).toEqual(['flatten', 'dropout', 'linear', 'relu', 'linear'])
  await row(page, 'mlp', 1).getByRole('button', { name: /Move layer 1 \(dropout\) of TinyMLP down/ }).click()
  await row(page, 'mlp', 2).getByRole('button', { name: /Move layer 2 \(dropout\) of TinyMLP down/ }).click()
  expect(await types(page, 'mlp')).toEqual(['flatten', 'linear', 'relu', 'dropout', 'linear'])

  // A new output layer at the end starts with one output per class; removing it restores the model.
  await model(page, 'cnn').getByTestId('append-layer').selectOption('linear')
  await expect(row(page, 'cnn', 5).getByLabel('width')).toHaveValue('5')
  await row(page, 'cnn', 5).getByRole('button', { name: /Remove layer 5/ }).click()
  await expect(model(page, 'cnn').locator('.layer-editor-row')).toHaveCount(5)

  // A name of its own, and a short run so it shows in Runs.
  const name = 'Five classes, MLP with dropout'
  await page.getByTestId('experiment-name').fill(name)
  await page.getByLabel('epochs', { exact: true }).fill('5')
  await expect(page.getByTestId('editor-ready')).toBeVisible()
  await shot(page, 'editor-edited')
  await goTo(page, 'compare')
  await setPace(page, 'full speed')
  await page.getByTestId('train-button').click()
  await waitForStatus(page, 'completed')
  await goTo(page, 'runs')
  await expect(page.locator('tr[data-run-id]').filter({ hasText: name })).toHaveCount(1)

  // Another preset from Compare: asked first; Cancel keeps the edits and the select.
  await goTo(page, 'compare')
  await page.getByTestId('preset-select').selectOption('patterns-5')
  const dialog = page.getByTestId('confirm-dialog')
  await expect(dialog).toBeVisible()
  await expect(dialog).toContainText(`"${name}" has edits that are not saved`)
  await expect(page.getByTestId('confirm-cancel')).toBeFocused()
  await shot(page, 'editor-confirm')
  await page.getByTestId('confirm-cancel').click()
  await expect(dialog).toBeHidden()
  await expect(page.getByTestId('preset-select')).toHaveValue('patterns-3')

  // From Lessons too; Esc is Cancel.
  await goTo(page, 'presets')
  await page.locator('[data-preset-id="patterns-4"]').click()
  await page.getByTestId('open-in-compare').click()
  await expect(dialog).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  await goTo(page, 'editor')
  await expect(page.getByTestId('experiment-name')).toHaveValue(name)
  expect(await types(page, 'mlp')).toEqual(['flatten', 'linear', 'relu', 'dropout', 'linear'])

  // Reset to preset (asked too), then the preset as it was.
  await page.getByTestId('reset-recipe').click()
  await page.getByTestId('confirm-ok').click()
  await expect(page.getByTestId('modified-badge')).toHaveCount(0)
  await expect(page.getByTestId('experiment-name')).toHaveValue(PRESET_NAME)
  expect(await types(page, 'mlp')).toEqual(['flatten', 'linear', 'relu', 'linear'])

  // Unmodified: switching no longer asks.
  await goTo(page, 'compare')
  await page.getByTestId('preset-select').selectOption('patterns-5')
  await expect(page.getByTestId('preset-select')).toHaveValue('patterns-5')
  await expect(dialog).toBeHidden()
})

test("each model's own training settings are shown and editable (lesson 000 trains its detectors differently)", async ({ page, labServer }) => {
  await openLesson(page, labServer.url, 'edge-detector')
  await goTo(page, 'editor')
  await expect(page.getByTestId('own-settings-mlp')).toHaveText('trains 80 epochs at lr 3 (its own)')
  await expect(page.getByTestId('own-settings-cnn')).toHaveText('trains 400 epochs at lr 1 (its own)')
  // The shared fields keep labels of their own (other specs fill them by label).
  for (const label of ['epochs', 'learning rate', 'train count', 'val count']) await expect(page.getByLabel(label)).toHaveCount(1)
  const fc = model(page, 'mlp')
  await fc.getByLabel('own epoch count').fill('')
  await expect(page.getByTestId('own-settings-mlp')).toHaveText('trains 400 epochs at lr 3 (its own)')
  await fc.getByLabel('own lr').fill('')
  await expect(page.getByTestId('own-settings-mlp')).toHaveText('trains 400 epochs at lr 1 (shared)')
  await expect(page.getByTestId('modified-badge')).toBeVisible()
  await page.getByTestId('reset-recipe').click()
  await page.getByTestId('confirm-ok').click()
  await expect(page.getByTestId('own-settings-mlp')).toHaveText('trains 80 epochs at lr 3 (its own)')
  await expect(page.getByTestId('modified-badge')).toHaveCount(0)
})
