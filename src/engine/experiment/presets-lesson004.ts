/**
 * Lesson 004's building blocks as presets (and lesson 003's stride exercise):
 * a hand-set edge kernel, stride against pooling, 3x3 stacks against 5x5,
 * batch norm, residual blocks and depthwise-separable convolutions. The MNIST
 * presets are cut to a few thousand digits so each trains in well under a
 * minute on the lab's 2-core machine; the numbers in the texts were measured
 * with `npm run lab -- run` there (times are upper bounds).
 */
import { EXPERIMENT_FORMAT, EXPERIMENT_VERSION, type ExperimentInput, type LayerSpec, type TrainingSpec } from '../../shared/experiment'

function sgd(epochs: number, learningRate: number, batchSize: number | 'full', snapshotEpochs: number[], momentum = 0.9): TrainingSpec {
  return {
    epochs, learningRate, batchSize, optimizer: 'sgd', momentum, seed: 11,
    loss: 'softmax-cross-entropy', gradient: 'backprop', epsilon: 0.01, precision: 'float32', snapshotEpochs,
  }
}

/** A small MNIST split: the same for every lesson 004 preset, so their accuracies compare. */
function smallMnist(train: number, val: number): ExperimentInput['dataset'] {
  return { kind: 'mnist', train: { count: train, seed: 1 }, val: { count: val, seed: 2 }, valShift: 0 }
}

const conv = (inChannels: number, outChannels: number, kernelSize: number | [number, number], extra: Partial<Extract<LayerSpec, { type: 'conv2d' }>> = {}): LayerSpec => ({
  type: 'conv2d', inChannels, outChannels, kernelSize, stride: 1, padding: 0, bias: true, ...extra,
})
const relu: LayerSpec = { type: 'relu' }
const pool: LayerSpec = { type: 'maxpool2d', kernelSize: 2 }
const flatten: LayerSpec = { type: 'flatten' }
const linear = (inFeatures: number, outFeatures: number): LayerSpec => ({ type: 'linear', inFeatures, outFeatures, bias: true })

/**
 * Lesson 004's worked example, hand-set and never trained (0 epochs): a 1x2
 * kernel [-1, 1] takes the difference of neighbouring columns, then an 8x1
 * kernel of ones asks whether that difference runs the full height.
 */
export function edgeKernelPreset(): ExperimentInput {
  const tensor = (shape: number[], data: number[]) => ({ shape, data })
  return {
    format: EXPERIMENT_FORMAT,
    version: EXPERIMENT_VERSION,
    name: 'Edge kernel: [−1, 1] marks where the picture steps',
    description:
      'Lesson 004\'s worked example, set by hand and not trained (0 epochs). A 1x2 kernel [−1, 1] subtracts each ' +
      'pixel from its right-hand neighbour, so on lesson 000\'s pictures of a vertical line it writes a column of ' +
      '1s exactly where the dark background steps up into the line, and a column of −1s where the line steps back ' +
      'down: open the Trace and look at the first feature map (8x7, one column narrower than the picture). A second ' +
      'hand-set kernel, 8x1 and all ones with bias −7.5, adds a column up and fires only where the step runs the ' +
      'full height, which scattered dots never do; the strongest response and a sigmoid give the answer. ' +
      'Measured here: 100 % on 40 lines and dots, with 13 parameters, none learned. Both kernels are non-square ' +
      '(kernelSize [1, 2] and [8, 1]).',
    dataset: { kind: 'edges', size: 8, train: { count: 20, seed: 1 }, val: { count: 40, seed: 29 } },
    models: [
      {
        id: 'edge',
        label: 'Hand-set edge kernel',
        init: {
          scheme: 'fixed',
          tensors: {
            '0.weight': tensor([1, 1, 1, 2], [-1, 1]),
            '1.weight': tensor([1, 1, 8, 1], [1, 1, 1, 1, 1, 1, 1, 1]),
            '1.bias': tensor([1], [-7.5]),
            '4.weight': tensor([1, 1], [10]),
            '4.bias': tensor([1], [-2.5]),
          },
        },
        layers: [
          conv(1, 1, [1, 2], { bias: false }),
          conv(1, 1, [8, 1]),
          relu,
          { type: 'globalmaxpool2d' },
          linear(1, 1),
          { type: 'sigmoid' },
        ],
      },
    ],
    training: { ...sgd(0, 0.1, 'full', [0], 0), loss: 'binary-cross-entropy' },
  }
}

/** Lesson 003's CNN, and the same with each 2x2 max-pool folded into its conv as stride 2. */
export function strideVsPoolPreset(mnistCnn: LayerSpec[]): ExperimentInput {
  return {
    format: EXPERIMENT_FORMAT,
    version: EXPERIMENT_VERSION,
    name: 'Stride 2 vs max-pool: lesson 003\'s exercise',
    description:
      'Lesson 003 asks to remove the max-pool layers and downsample with stride 2 in the convolutions instead. ' +
      'Both CNNs go 28 → 14 → 7 with the same 421,642 parameters; the strided one computes each conv at a quarter of ' +
      'the positions (fewer multiply-adds) but keeps only one of every four responses instead of the strongest. ' +
      'Measured here on 2,000 digits, 2 epochs: max-pool 86.6 % in 15 s of training, stride 2 86.3 % in 6.6 s. ' +
      'As good, and more than twice as fast.',
    dataset: smallMnist(2000, 1000),
    models: [
      { id: 'pool', label: 'Conv + max-pool', init: { scheme: 'pytorch-default', seed: 3 }, layers: mnistCnn },
      {
        id: 'stride',
        label: 'Stride-2 conv',
        init: { scheme: 'pytorch-default', seed: 3 },
        layers: [
          conv(1, 32, 3, { stride: 2, padding: 1 }), relu,
          conv(32, 64, 3, { stride: 2, padding: 1 }), relu,
          flatten, linear(3136, 128), relu, linear(128, 10),
        ],
      },
    ],
    training: sgd(2, 0.05, 64, [0, 1, 2]),
  }
}

/** The same stem and head around either two stacked 3x3 convs or one 5x5 (16 channels in and out). */
export function threeVsFivePreset(): ExperimentInput {
  const stem: LayerSpec[] = [conv(1, 16, 3, { padding: 1 }), relu, pool]
  const head: LayerSpec[] = [pool, flatten, linear(16 * 7 * 7, 10)]
  return {
    format: EXPERIMENT_FORMAT,
    version: EXPERIMENT_VERSION,
    name: 'Two 3x3 vs one 5x5: the same receptive field',
    description:
      'Lesson 004 (VGG\'s observation). After the same first block, one model stacks two 3x3 convolutions (16 → 16 ' +
      'channels, each with a ReLU) and the other uses one 5x5. Each unit after the block sees the same 5x5 window of ' +
      'its input, but the pair costs 2 × 16·16·9 = 4,608 weights against 16·16·25 = 6,400, and adds a ReLU between. ' +
      'The Calculator shows the same sums at any channel count (64 channels: 73,728 against 102,400). Measured here on ' +
      '2,000 digits, 2 epochs: two 3x3 91.7 % with 12,650 parameters in 6.9 s, one 5x5 92.1 % with 14,426 in 8.7 s. ' +
      'At this size the accuracies are level; the stack is cheaper.',
    dataset: smallMnist(2000, 1000),
    models: [
      { id: 'two3', label: 'Two 3x3', init: { scheme: 'pytorch-default', seed: 3 }, layers: [...stem, conv(16, 16, 3, { padding: 1 }), relu, conv(16, 16, 3, { padding: 1 }), relu, ...head] },
      { id: 'one5', label: 'One 5x5', init: { scheme: 'pytorch-default', seed: 3 }, layers: [...stem, conv(16, 16, 5, { padding: 2 }), relu, ...head] },
    ],
    training: sgd(2, 0.05, 32, [0, 1, 2]),
  }
}

/**
 * Two conv blocks, with a batch norm between each conv and its ReLU or without, and a
 * global-average head (ResNet's). A flattened 1,568-wide head was tried first: behind batch
 * norm its inputs are of unit size, so one step at these rates moves its logits by far more
 * than the plain model's, and the batch-norm model lost; the average head keeps the comparison
 * about the convolutions.
 */
function bnCnn(withNorm: boolean): LayerSpec[] {
  const norm = (c: number): LayerSpec[] => (withNorm ? [{ type: 'batchnorm2d', numFeatures: c, eps: 1e-5, momentum: 0.1 }] : [])
  return [
    conv(1, 16, 3, { padding: 1 }), ...norm(16), relu, pool,
    conv(16, 32, 3, { padding: 1 }), ...norm(32), relu, pool,
    { type: 'globalavgpool2d' }, linear(32, 10),
  ]
}

export function batchnormPreset(): ExperimentInput {
  return {
    format: EXPERIMENT_FORMAT,
    version: EXPERIMENT_VERSION,
    name: 'Batch norm at a high learning rate',
    description:
      'Lesson 004. The same two-block CNN with and without a batch norm after each convolution, both at a learning ' +
      'rate of 0.1 with momentum 0.9 (ten times the usual effective step for this small model). Batch norm rescales each ' +
      'channel to zero mean and unit variance over the batch, so a large step cannot blow up or starve the next layer\'s ' +
      'inputs. Measured here on 2,000 digits, 2 epochs: with batch norm 40.9 % against 22.6 % without (5,226 and 5,130 ' +
      'parameters; 10 s and 4 s of training). Then the pitfall: ' +
      'open the Trace (or the Explorer), tick "run in train mode (batch statistics)" and the batch-norm model ' +
      'normalises the single picture by its own statistics instead of the running averages: its prediction changes. ' +
      'Evaluation always runs in eval mode.',
    dataset: smallMnist(2000, 1000),
    models: [
      { id: 'bn', label: 'With batch norm', init: { scheme: 'pytorch-default', seed: 3 }, layers: bnCnn(true) },
      { id: 'plain', label: 'Without', init: { scheme: 'pytorch-default', seed: 3 }, layers: bnCnn(false) },
    ],
    training: sgd(2, 0.1, 64, [0, 1, 2]),
  }
}

/**
 * A stem down to 7x7 (a max-pool, then an average pool, so the deep part stays cheap on the
 * reference route), then `blocks` pairs of 3x3 convs (8 channels), plain or each pair wrapped as y = x + F(x).
 */
function deepCnn(blocks: number, residual: boolean): LayerSpec[] {
  const pair: LayerSpec[] = [conv(8, 8, 3, { padding: 1 }), relu, conv(8, 8, 3, { padding: 1 })]
  const body: LayerSpec[] = []
  for (let b = 0; b < blocks; b++) body.push(...(residual ? [{ type: 'residual', layers: pair } as LayerSpec, relu] : [...pair, relu]))
  return [conv(1, 8, 3, { padding: 1 }), relu, pool, { type: 'avgpool2d', kernelSize: 2 }, ...body, { type: 'globalavgpool2d' }, linear(8, 10)]
}

export function residualPreset(): ExperimentInput {
  return {
    format: EXPERIMENT_FORMAT,
    version: EXPERIMENT_VERSION,
    name: 'Residual blocks: 13 convolutions deep',
    description:
      'Lesson 004 (ResNet). Thirteen 3x3 convolutions deep, 8 channels, no batch norm: a plain stack against the same ' +
      'layers grouped in pairs as residual blocks, y = x + F(x). In the plain stack every layer must pass the signal ' +
      'on by itself, and with the default initialisation it shrinks layer after layer, so the gradient reaching the ' +
      'first layers is tiny; the skips carry x straight through, so each block only learns a correction. ' +
      'The weights are the same in number (7,178). Measured here on 2,000 digits, 6 epochs: residual 60.0 % against ' +
      'plain 9.1 %, which never leaves chance (11 s and 10 s of training); more epochs keep the residual stack climbing.',
    dataset: smallMnist(2000, 1000),
    models: [
      { id: 'residual', label: 'Residual', init: { scheme: 'pytorch-default', seed: 3 }, layers: deepCnn(6, true) },
      { id: 'plain', label: 'Plain', init: { scheme: 'pytorch-default', seed: 3 }, layers: deepCnn(6, false) },
    ],
    training: sgd(6, 0.1, 32, [0, 1, 3, 6]),
  }
}

/** A 3x3 conv of 16 → 32 channels, standard or factored into a depthwise 3x3 and a pointwise 1x1. */
function depthwiseCnn(separable: boolean): LayerSpec[] {
  const middle: LayerSpec[] = separable
    ? [conv(16, 16, 3, { padding: 1, groups: 16 }), relu, conv(16, 32, 1), relu]
    : [conv(16, 32, 3, { padding: 1 }), relu]
  return [conv(1, 16, 3, { padding: 1 }), relu, pool, ...middle, pool, flatten, linear(32 * 7 * 7, 10)]
}

export function depthwisePreset(): ExperimentInput {
  return {
    format: EXPERIMENT_FORMAT,
    version: EXPERIMENT_VERSION,
    name: 'Depthwise-separable vs standard convolution',
    description:
      'Lesson 004 (MobileNet). The second block of a small CNN as one standard 3x3 convolution (16 → 32 channels: ' +
      '4,608 weights, 903,168 multiply-adds on 14x14) or as a depthwise 3x3 (one 3x3 kernel per channel, groups 16: ' +
      '144 weights) and a pointwise 1x1 mixing the channels (512 weights): 656 weights and 128,576 multiply-adds, ' +
      'about 7 times fewer. The Kernels view draws the depthwise layer as one 2-D kernel per channel (pick it in the ' +
      'layer list). Measured here on 2,000 digits, 2 epochs: separable 84.1 % with 16,554 parameters in 3.9 s, standard ' +
      '93.2 % with 20,490 in 2.7 s. The head (15,690 weights) dominates both totals; the separable block learns more ' +
      'slowly with this little data, and on this engine it is not faster: a grouped convolution runs on the plain ' +
      'reference loops.',
    dataset: smallMnist(2000, 1000),
    models: [
      { id: 'separable', label: 'Depthwise-separable', init: { scheme: 'pytorch-default', seed: 3 }, layers: depthwiseCnn(true) },
      { id: 'standard', label: 'Standard', init: { scheme: 'pytorch-default', seed: 3 }, layers: depthwiseCnn(false) },
    ],
    training: sgd(2, 0.05, 32, [0, 1, 2]),
  }
}
