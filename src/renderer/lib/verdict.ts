/** The sentence under the progress bar once training has finished: who reached what, with how many parameters. */
import type { MetricRow } from '../../shared/experiment'
import { formatCount, formatPercent, lastRow } from './metrics'

export interface VerdictModel {
  id: string
  label: string
  parameterCount: number
}

/** What "learned the task" means in the summary: the lessons' own bar for the 8x8 problems. */
export const GOOD_ACCURACY = 0.97

export function verdictText(models: readonly VerdictModel[], rows: readonly MetricRow[]): string {
  const finals = models.map((m) => ({ ...m, val: lastRow(rows, m.id)?.valAccuracy ?? null }))
  if (finals.length === 0 || finals.some((f) => f.val === null)) return ''
  const parts = finals.map((f) => `${f.label} ${formatPercent(f.val)} with ${formatCount(f.parameterCount)} parameters`)
  let tail = ''
  const cnn = finals.find((f) => f.id === 'cnn')
  const mlp = finals.find((f) => f.id === 'mlp')
  if (finals.every((f) => (f.val ?? 0) >= GOOD_ACCURACY)) {
    tail = ` ${whoReaches(finals)} ≥ ${GOOD_ACCURACY * 100} %`
    if (cnn && mlp && cnn.parameterCount > 0 && mlp.parameterCount > cnn.parameterCount) {
      tail += `; the CNN needs ${(mlp.parameterCount / cnn.parameterCount).toFixed(1)}× fewer parameters`
    }
    tail += '.'
  } else if (cnn && mlp && cnn.val !== null && mlp.val !== null && cnn.val !== mlp.val) {
    const [ahead, behind] = cnn.val > mlp.val ? [cnn, mlp] : [mlp, cnn]
    tail = ` ${ahead.label} is ${((ahead.val! - behind.val!) * 100).toFixed(1)} points ahead of ${behind.label}${parameterGap(ahead, behind)}.`
  }
  return `Final validation accuracy: ${parts.join('; ')}.${tail}`
}

/** The subject of "… reach ≥ 97 %": an experiment may train one model, two (the lessons' pair) or more. */
function whoReaches(finals: readonly VerdictModel[]): string {
  if (finals.length === 1) return `${finals[0].label} reaches`
  if (finals.length === 2) return 'Both reach'
  return `All ${finals.length} reach`
}

/** " with 10.8× fewer parameters" (or more): the gap is the lesson only beside what it cost. */
function parameterGap(ahead: VerdictModel, behind: VerdictModel): string {
  if (ahead.parameterCount <= 0 || behind.parameterCount <= 0 || ahead.parameterCount === behind.parameterCount) return ''
  const fewer = ahead.parameterCount < behind.parameterCount
  const ratio = fewer ? behind.parameterCount / ahead.parameterCount : ahead.parameterCount / behind.parameterCount
  return ` with ${ratio.toFixed(1)}× ${fewer ? 'fewer' : 'more'} parameters`
}
