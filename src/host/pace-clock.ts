/**
 * Pace: how the worker slows a tiny run down to a speed a person can watch.
 *
 * The rate is in epochs per second of the run as a whole. The trainer
 * interleaves its models (a 400-epoch model and an 80-epoch one finish
 * together), so one unit of work — a batch of model m — is worth
 * maxEpochs / (models × epochs_m × batches_m) "run epochs"; over the whole run
 * these add up to maxEpochs, so an 80-epoch run at 4 epochs/s takes 20 s.
 *
 * The clock keeps a due time: each unit pushes it forward by its worth, and the
 * worker waits until it is reached. A run slower than its pace is never made
 * to catch up in a burst: the due time never lags the present.
 */
export class PaceClock {
  private epochsPerSecond: number | null = null
  private due = 0
  private readonly epochsByModel = new Map<string, number>()
  private maxEpochs = 1

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Model epoch counts, from the trainer's summaries. */
  setModels(models: readonly { id: string; epochs: number }[]): void {
    this.epochsByModel.clear()
    for (const m of models) this.epochsByModel.set(m.id, Math.max(1, m.epochs))
    this.maxEpochs = Math.max(1, ...this.epochsByModel.values())
  }

  setRate(epochsPerSecond: number | null): void {
    this.epochsPerSecond = epochsPerSecond
    this.reset()
  }

  get rate(): number | null {
    return this.epochsPerSecond
  }

  /** After a pause or a rate change the run goes on from now, not from when it stopped. */
  reset(): void {
    this.due = this.now()
  }

  /** Accounts one batch of `model`, which has `batches` batches per epoch. */
  account(model: string, batches: number): void {
    if (this.epochsPerSecond === null) return
    const epochs = this.epochsByModel.get(model) ?? this.maxEpochs
    const models = Math.max(1, this.epochsByModel.size)
    const worth = this.maxEpochs / (models * epochs * Math.max(1, batches))
    this.due = Math.max(this.due + (worth / this.epochsPerSecond) * 1000, this.now())
  }

  /** Milliseconds to wait before the next unit (0 when unpaced or behind). */
  delayMs(): number {
    if (this.epochsPerSecond === null) return 0
    return Math.max(0, this.due - this.now())
  }
}
