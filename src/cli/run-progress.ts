/**
 * What `lab run` shows on stderr while it trains. On a terminal: one line,
 * redrawn in place (model, epoch/epochs, bar, loss and accuracy, samples/s).
 * Into a pipe or a log file: plain lines, at most about one per model per
 * second plus each model's last epoch, so a 400-epoch run stays readable.
 */
import type { MetricRow } from '../shared/experiment'
import type { ModelSummary, TrainingEvent } from '../shared/training-events'

export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

const REDRAW_MS = 100
const PLAIN_LINE_MS = 1000
const BAR_WIDTH = 24

function percent(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(1)}%`
}

function decimal(value: number | null, digits = 4): string {
  return value === null ? '-' : value.toFixed(digits)
}

function rate(samplesPerSecond: number): string {
  return `${Math.round(samplesPerSecond).toLocaleString('en-US')} samples/s`
}

function bar(fraction: number): string {
  const filled = Math.max(0, Math.min(BAR_WIDTH, Math.round(fraction * BAR_WIDTH)))
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`
}

export class RunProgress {
  private readonly live: boolean
  private models = new Map<string, ModelSummary>()
  private lastRow = new Map<string, MetricRow>()
  private lastRate = new Map<string, number>()
  private lastPlainLine = new Map<string, number>()
  private lastDraw = 0
  private drawn = false
  private idWidth = 3

  constructor(
    private readonly stream: ProgressStream,
    private readonly clock: () => number = () => Date.now(),
  ) {
    this.live = stream.isTTY === true
  }

  /** A TrainingSink. */
  readonly handle = (event: TrainingEvent): void => {
    switch (event.type) {
      case 'started': {
        for (const model of event.models) this.models.set(model.id, model)
        this.idWidth = Math.max(3, ...event.models.map((m) => m.id.length))
        const names = event.models.map((m) => `${m.id} (${m.label}, ${m.parameterCount.toLocaleString('en-US')} params)`)
        this.line(`Training ${names.join(' and ')} on ${event.trainCount} training / ${event.valCount} validation samples`)
        break
      }
      case 'batch': {
        this.lastRate.set(event.model, event.samplesPerSecond)
        const now = this.clock()
        if (this.live && now - this.lastDraw >= REDRAW_MS) {
          const epochs = this.models.get(event.model)?.epochs ?? event.epoch
          this.draw(event.model, event.epoch, epochs, (event.epoch - 1 + event.batch / event.batches) / epochs)
        }
        break
      }
      case 'epoch': {
        const { row } = event
        this.lastRow.set(row.model, row)
        const epochs = this.models.get(row.model)?.epochs ?? row.epoch
        if (this.live) {
          this.draw(row.model, row.epoch, epochs, row.epoch / epochs)
        } else {
          const now = this.clock()
          const last = this.lastPlainLine.get(row.model)
          if (row.epoch === epochs || last === undefined || now - last >= PLAIN_LINE_MS) {
            this.lastPlainLine.set(row.model, now)
            this.line(this.describe(row.model, row.epoch, epochs))
          }
        }
        break
      }
      case 'done':
      case 'error':
      case 'snapshot':
        break
    }
  }

  /** Clears the live line so what follows starts on a clean row. */
  end(): void {
    if (this.live && this.drawn) this.stream.write('\r\x1b[2K')
    this.drawn = false
  }

  private describe(model: string, epoch: number, epochs: number, fraction?: number): string {
    const row = this.lastRow.get(model)
    const parts = [model.padEnd(this.idWidth), `epoch ${String(epoch).padStart(String(epochs).length)}/${epochs}`]
    if (fraction !== undefined) parts.push(bar(fraction))
    if (row) {
      parts.push(`loss ${decimal(row.trainLoss)}`, `acc ${percent(row.trainAccuracy)}`, `val acc ${percent(row.valAccuracy)}`)
    }
    const samples = this.lastRate.get(model)
    if (samples !== undefined) parts.push(rate(samples))
    return parts.join('  ')
  }

  private draw(model: string, epoch: number, epochs: number, fraction: number): void {
    this.lastDraw = this.clock()
    let text = this.describe(model, epoch, epochs, fraction)
    const width = this.stream.columns
    if (width && text.length >= width) text = text.slice(0, width - 1)
    this.stream.write(`\r\x1b[2K${text}`)
    this.drawn = true
  }

  private line(text: string): void {
    this.end()
    this.stream.write(`${text}\n`)
  }
}
