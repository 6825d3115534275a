/** The exported project's README.md: how to run it, and what each file is. */
import type { Experiment } from '../../shared/experiment'
import type { RunInfo } from '../../shared/run-file'

export function projectReadme(experiment: Experiment, run: RunInfo): string {
  const settings = experiment.training
  const hasDropout = experiment.models.some((m) => m.layers.some((l) => l.type === 'dropout'))
  const finite = settings.gradient === 'finite-difference'
  const lines = [
    `# ${run.name} — as a PyTorch project`,
    '',
    `Exported by CNN Lab from the run started ${run.startedAt} (lab ${run.engineVersion}).`,
    `\`train.py\` trains the same ${experiment.models.length === 1 ? 'model' : `${experiment.models.length} models`} again with PyTorch: the same`,
    'initial weights, data, optimizer (SGD, the lab\'s and torch\'s update rule are the same), learning rate,',
    'momentum, batch size, epochs and batch order, and it evaluates after every epoch as the lab does.',
    '',
    '## Commands',
    '',
    '```',
    'python3 train.py                          # CPU; metrics lines on stdout, a run folder in runs/<time>/',
    'python3 train.py --device cuda            # on a GPU',
    'python3 train.py --epochs 1 --out my-run  # fewer epochs, a folder of your choice (new or empty)',
    'torchrun --nproc_per_node=2 train.py      # DistributedDataParallel: gloo on CPU, nccl with --device cuda',
    'torchrun --nnodes=2 --nproc_per_node=4 --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 train.py --device cuda',
    '```',
    '',
    'Under torchrun every process takes its slice of each batch, so the global batch stays the run\'s',
    `(${String(settings.batchSize)}) and the averaged gradient is the one a single process computes; process 0 prints and writes.`,
    'Without `torchrun` on the PATH: `python3 -m torch.distributed.run --nproc_per_node=2 train.py`.',
    'Debian\'s torch 1.13 under Python 3.11 fails in torchrun itself (`\'NoneType\' object has no attribute \'get\'`:',
    'it cannot parse its own default `--redirects 0`); add `--redirects 2 --tee 2`.',
    'Only torch is needed; the `safetensors` package is used when installed, else a small reader and writer in `train.py`.',
    '',
    '## Opening the result in the lab',
    '',
    'The folder train.py writes (`run.json`, `metrics.jsonl`, `weights/`, `snapshots/`) is a lab run folder:',
    '`npm run lab -- import-run FOLDER` (or Runs → Import) puts it in the Runs list beside the lab\'s run,',
    'named "… (PyTorch)", and the overlay draws both curves.',
    '',
    '## Files',
    '',
    '| file | what it is |',
    '| --- | --- |',
    '| `train.py` | builds each model as `torch.nn.Sequential` (plus `GlobalMaxPool2d`, the one block it lacks), loads `init/`, trains, evaluates, writes |',
    '| `experiment.cnnlab.json` | the lab recipe exactly as it ran |',
    '| `run-template.json` | the fixed part of the `run.json` train.py writes (models, classes, counts) |',
    `| \`data/train.safetensors\`, \`data/val.safetensors\` | \`x\` ${settings.precision === 'float64' ? 'F64' : 'F32'} [N, C, H, W] and \`y\` I64 [N]: the run's exact pictures and labels |`,
    '| `data/order.safetensors` | per model id, I64 [epochs, N]: the picture order of each epoch (batches are consecutive slices)' +
      (settings.augment?.shift ? '; `shifts` I64 [epochs, N, 2]: each picture\'s (dx, dy) that epoch |' : ' |'),
    '| `init/<model>.safetensors` | the weights training started from (the run\'s epoch-0 snapshot), PyTorch names |',
    '',
    '## How close it comes',
    '',
    'Same arithmetic, different summation order: float32 runs agree with the lab to float32 rounding',
    '(weights to about 1e-5 after a short run), float64 runs to about 1e-9.',
  ]
  if (finite) lines.push('', 'This run learns by finite differences (lesson 000): train.py nudges every weight by ±epsilon and measures the mean loss on the whole training set, as the lab does. It runs in one process (torchrun is refused).')
  if (hasDropout) lines.push('', '**Dropout**: the masks come from torch\'s generator, not the lab\'s, so dropout models train statistically alike but not step for step.')
  return `${lines.join('\n')}\n`
}
