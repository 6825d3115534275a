/**
 * The lesson presets: each is a complete experiment file (format v1) that
 * reproduces one lesson's experiment. The texts are the lab's own summaries.
 */
import {
  EXPERIMENT_FORMAT,
  EXPERIMENT_VERSION,
  Experiment,
  type ExperimentInput,
  type LayerSpec,
  type PatternClass,
} from '../../shared/experiment'
import type { z } from 'zod'
import type { SweepSpec } from './sweep'
import type { PresetSummary } from '../../shared/preset-summary'
import { colourPreset, digitsPreset, fashionPreset } from './presets-lesson002'
import { batchnormPreset, depthwisePreset, edgeKernelPreset, residualPreset, strideVsPoolPreset, threeVsFivePreset } from './presets-lesson004'

type PatternName = z.output<typeof PatternClass>

const PATTERN_SETS: Record<string, PatternName[]> = {
  'patterns-3': ['vertical', 'horizontal', 'diagonal'],
  'patterns-4': ['vertical', 'horizontal', 'diagonal', 'dot'],
  'patterns-5': ['vertical', 'horizontal', 'diagonal', 'dot', 'cross'],
}

/** Lesson 001's TinyCNN: one 3x3 conv with a few filters, ReLU, 2x2 max-pool, one linear layer. */
export function tinyCnnLayers(classes: number, filters = 3, size = 8, kernel = 3): LayerSpec[] {
  const pooled = Math.floor((size - kernel + 1) / 2)
  return [
    { type: 'conv2d', inChannels: 1, outChannels: filters, kernelSize: kernel, stride: 1, padding: 0, bias: true },
    { type: 'relu' },
    { type: 'maxpool2d', kernelSize: 2 },
    { type: 'flatten' },
    { type: 'linear', inFeatures: filters * pooled * pooled, outFeatures: classes, bias: true },
  ]
}

/** Lesson 001's TinyMLP: flatten, one hidden ReLU layer, a linear read-out. */
export function tinyMlpLayers(classes: number, hidden = 18, size = 8): LayerSpec[] {
  return [
    { type: 'flatten' },
    { type: 'linear', inFeatures: size * size, outFeatures: hidden, bias: true },
    { type: 'relu' },
    { type: 'linear', inFeatures: hidden, outFeatures: classes, bias: true },
  ]
}

/**
 * A TinyCNN that pools over the whole picture: 3x3 filters, ReLU, the strongest response of
 * each filter anywhere, one linear layer. Convolution moves its maps with the picture and the
 * global max forgets where, so a moved pattern gives the same answer (the lesson 001 TinyCNN's
 * 2x2 pool keeps a 3x3 grid of positions, and a 2 px move lands on other weights).
 */
export function shiftCnnLayers(classes: number, filters = 6): LayerSpec[] {
  return [
    { type: 'conv2d', inChannels: 1, outChannels: filters, kernelSize: 3, stride: 1, padding: 0, bias: true },
    { type: 'relu' },
    { type: 'globalmaxpool2d' },
    { type: 'linear', inFeatures: filters, outFeatures: classes, bias: true },
  ]
}

function edgeDetector(): ExperimentInput {
  return {
    format: EXPERIMENT_FORMAT,
    version: EXPERIMENT_VERSION,
    name: 'Edge detector: 65 weights vs 10',
    description:
      'Lesson 000. Is there a full-height vertical line in this 8x8 picture, or just eight scattered dots? ' +
      'A fully connected detector gives every pixel its own weight (65 parameters); a convolutional detector ' +
      'slides one 3x3 kernel over the picture and keeps its strongest response (10 parameters). Both learn ' +
      'by finite differences. The FC detector memorises its 80 training pictures; the kernel turns into a ' +
      'vertical-edge filter and does better on pictures it has never seen.',
    dataset: { kind: 'edges', size: 8, train: { count: 80, seed: 1 }, val: { count: 40, seed: 29 } },
    models: [
      {
        id: 'cnn',
        label: 'Conv detector',
        init: { scheme: 'python-uniform', seed: 0, low: -0.3, high: 0.3 },
        layers: [
          { type: 'conv2d', inChannels: 1, outChannels: 1, kernelSize: 3, stride: 1, padding: 0, bias: true },
          { type: 'globalmaxpool2d' },
          { type: 'sigmoid' },
        ],
        training: { epochs: 400, learningRate: 1.0 },
      },
      {
        id: 'mlp',
        label: 'FC detector',
        init: { scheme: 'python-gauss', seed: 0, mean: 0, std: 0.1 },
        layers: [{ type: 'flatten' }, { type: 'linear', inFeatures: 64, outFeatures: 1, bias: true }, { type: 'sigmoid' }],
        training: { epochs: 80, learningRate: 3.0 },
      },
    ],
    training: {
      epochs: 400,
      learningRate: 1.0,
      batchSize: 'full',
      optimizer: 'sgd',
      momentum: 0,
      seed: 0,
      loss: 'binary-cross-entropy',
      gradient: 'finite-difference',
      epsilon: 0.01,
      precision: 'float64',
      snapshotEpochs: [0, 1, 5, 20, 80, 200, 400],
    },
  }
}

/** Lesson 001's training: plain SGD, 80 epochs of 18-picture batches (shared by every patterns preset). */
function lesson001Training(snapshotEpochs: number[]): ExperimentInput['training'] {
  return {
    epochs: 80,
    learningRate: 0.12,
    batchSize: 18,
    optimizer: 'sgd',
    momentum: 0,
    seed: 11,
    loss: 'softmax-cross-entropy',
    gradient: 'backprop',
    epsilon: 0.01,
    precision: 'float32',
    snapshotEpochs,
  }
}

function patterns(id: keyof typeof PATTERN_SETS): ExperimentInput {
  const classes = PATTERN_SETS[id]
  const n = classes.length
  const lessonNote =
    n === 3
      ? 'Both models reach full accuracy; the CNN does it with about a tenth of the parameters, and its three kernels become readable edge detectors.'
      : n === 4
        ? 'A fourth class (a centred dot) costs the CNN only one more output unit: the same three filters still separate everything.'
        : 'A fifth class (a cross) tests whether three 3x3 filters are still enough.'
  return {
    format: EXPERIMENT_FORMAT,
    version: EXPERIMENT_VERSION,
    name: `Patterns, ${n} classes: TinyCNN vs TinyMLP`,
    description:
      `Lesson 001. Noisy 8x8 pictures of ${classes.join(', ')} bars, each nudged by up to one pixel. ` +
      `A TinyCNN (three 3x3 filters, ReLU, 2x2 max-pool, one linear layer) against a TinyMLP (one hidden layer of 18). ` +
      lessonNote,
    dataset: {
      kind: 'patterns',
      size: 8,
      classes,
      maxShift: 1,
      brightness: [0.85, 1.15],
      noise: 0.12,
      train: { count: 60, seed: 7 },
      val: { count: 30, seed: 106 },
    },
    models: [
      { id: 'cnn', label: 'TinyCNN', init: { scheme: 'he-normal', seed: 3 }, layers: tinyCnnLayers(n) },
      { id: 'mlp', label: 'TinyMLP', init: { scheme: 'he-normal', seed: 5 }, layers: tinyMlpLayers(n) },
    ],
    training: lesson001Training([0, 1, 5, 15, 40, 80]),
  }
}

const MNIST_CNN: LayerSpec[] = [
  { type: 'conv2d', inChannels: 1, outChannels: 32, kernelSize: 3, stride: 1, padding: 1, bias: true },
  { type: 'relu' },
  { type: 'maxpool2d', kernelSize: 2 },
  { type: 'conv2d', inChannels: 32, outChannels: 64, kernelSize: 3, stride: 1, padding: 1, bias: true },
  { type: 'relu' },
  { type: 'maxpool2d', kernelSize: 2 },
  { type: 'flatten' },
  { type: 'linear', inFeatures: 3136, outFeatures: 128, bias: true },
  { type: 'relu' },
  { type: 'linear', inFeatures: 128, outFeatures: 10, bias: true },
]
const MNIST_MLP: LayerSpec[] = [
  { type: 'flatten' },
  { type: 'linear', inFeatures: 784, outFeatures: 128, bias: true },
  { type: 'relu' },
  { type: 'linear', inFeatures: 128, outFeatures: 10, bias: true },
]

function mnist(shifted: boolean): ExperimentInput {
  return {
    format: EXPERIMENT_FORMAT,
    version: EXPERIMENT_VERSION,
    name: shifted ? 'MNIST, shifted validation: who copes with a moved digit?' : 'MNIST: lesson 003 CNN vs MLP',
    description: shifted
      ? 'Lesson 003 and 002. Both models train on centred digits; every validation digit is moved by up to 4 pixels. ' +
        'The CNN shares its filters across positions and pools, so a moved stroke is still the same stroke; ' +
        'the MLP has one weight per pixel and never saw strokes in those places.'
      : 'Lesson 003. Real handwritten digits (28x28). Two conv blocks (32 and 64 filters, padding 1, 2x2 max-pool) and a ' +
        'dense head against a one-hidden-layer MLP. The MLP spends 100,352 weights on its first layer alone.',
    dataset: {
      kind: 'mnist',
      train: { count: 8000, seed: 1 },
      val: { count: 2000, seed: 2 },
      valShift: shifted ? 4 : 0,
    },
    models: [
      { id: 'cnn', label: 'CNN', init: { scheme: 'pytorch-default', seed: 3 }, layers: MNIST_CNN },
      { id: 'mlp', label: 'MLP', init: { scheme: 'pytorch-default', seed: 5 }, layers: MNIST_MLP },
    ],
    training: {
      epochs: 3,
      learningRate: 0.05,
      batchSize: 64,
      optimizer: 'sgd',
      momentum: 0.9,
      seed: 11,
      loss: 'softmax-cross-entropy',
      gradient: 'backprop',
      epsilon: 0.01,
      precision: 'float32',
      snapshotEpochs: [0, 1, 3],
    },
  }
}

/** Lesson 001's five classes with the pooling CNN, for the presets where position matters. */
function patternsWhereTheCnnWins(kind: 'shifted' | 'few'): ExperimentInput {
  const classes = PATTERN_SETS['patterns-5']
  const shifted = kind === 'shifted'
  return {
    format: EXPERIMENT_FORMAT,
    version: EXPERIMENT_VERSION,
    name: shifted ? 'Patterns, moved: trained centred, validated up to 2 px off' : 'Patterns, few pictures: 10 per class',
    description: shifted
      ? 'Lessons 001 and 002. Both models train on centred 8x8 patterns (5 classes) and are validated on the same ' +
        'patterns moved by 1 or 2 pixels. The CNN (six 3x3 filters, ReLU, a max over the whole picture, 95 parameters) ' +
        'finds a bar wherever it is; the MLP (1,265 parameters) has one weight per pixel and never saw a bar in those ' +
        'places. Look at the val accuracy curves: measured here, CNN 81.3 % against MLP 42.3 % (both 100 % on the ' +
        'training set), 0.04 s of training each. Then set "augment: shift up to" to 2 in the editor (training.augment.shift) and train again: shown every ' +
        'position, the MLP catches up (both 100 %).'
      : 'Lesson 001, data efficiency. The five patterns, each moved by up to 2 pixels, but only 10 training pictures per ' +
        'class. The CNN learns one bar detector and uses it at every position; the MLP has to see a bar in each place ' +
        'to learn it there. Measured here: CNN 93.7 % against MLP 74.3 % on 60 val pictures per class, 0.01 s of training. Then ' +
        'run the train-count sweep (Sweeps) at 2, 5, 10, 30, 100 pictures per class and watch the gap close as the ' +
        'MLP gets enough pictures to cover every position.',
    dataset: {
      kind: 'patterns',
      size: 8,
      classes,
      maxShift: shifted ? 0 : 2,
      valShift: shifted ? 2 : 0,
      brightness: [0.85, 1.15],
      noise: 0.12,
      train: { count: shifted ? 60 : 10, seed: 18 },
      val: { count: 60, seed: 111 },
    },
    models: [
      { id: 'cnn', label: 'Pooling CNN', init: { scheme: 'he-normal', seed: 14 }, layers: shiftCnnLayers(classes.length) },
      { id: 'mlp', label: 'TinyMLP', init: { scheme: 'he-normal', seed: 16 }, layers: tinyMlpLayers(classes.length) },
    ],
    training: lesson001Training([0, 1, 5, 20, 80]),
  }
}

/** Lesson 003's models on 100 training digits: the gap the full set hides. */
function mnistFew(): ExperimentInput {
  const experiment = mnist(false)
  return {
    ...experiment,
    name: 'MNIST, 100 digits: who learns more from less?',
    description:
      'Lesson 003, data efficiency. The lesson 003 CNN and MLP, trained on only 100 digits (about 10 per class) for ' +
      '30 epochs and validated on 1,000 others. Both learn the 100 by heart; the CNN\'s shared 3x3 filters carry ' +
      'over to digits it has not seen better than the MLP\'s 100,352 per-pixel weights. Measured here: CNN 81.3 % against MLP 75.7 % (both 100 % on the 100), 15 s and 0.8 s of training. ' +
      'Then run the train-count sweep at 30, 100, 300, 1,000 digits: the gap opens as data shrinks.',
    dataset: { kind: 'mnist', train: { count: 100, seed: 1 }, val: { count: 1000, seed: 2 }, valShift: 0 },
    training: { ...experiment.training, epochs: 30, batchSize: 16, snapshotEpochs: [0, 1, 5, 30] },
  }
}

const BUILDERS: Record<string, { lesson: string; build: () => ExperimentInput }> = {
  'edge-detector': { lesson: '000', build: edgeDetector },
  'patterns-3': { lesson: '001', build: () => patterns('patterns-3') },
  'patterns-4': { lesson: '001', build: () => patterns('patterns-4') },
  'patterns-5': { lesson: '001', build: () => patterns('patterns-5') },
  mnist: { lesson: '003', build: () => mnist(false) },
  'mnist-shifted': { lesson: '002 + 003', build: () => mnist(true) },
  'patterns-shifted': { lesson: '001 + 002', build: () => patternsWhereTheCnnWins('shifted') },
  'patterns-few': { lesson: '001', build: () => patternsWhereTheCnnWins('few') },
  'mnist-few': { lesson: '003', build: mnistFew },
  // Lesson 002's datasets (presets-lesson002.ts).
  digits: { lesson: '002', build: digitsPreset },
  fashion: { lesson: '003', build: () => fashionPreset(MNIST_CNN, MNIST_MLP) },
  colour: { lesson: '002', build: colourPreset },
  // Lesson 004's building blocks (presets-lesson004.ts).
  'edge-kernel': { lesson: '004', build: edgeKernelPreset },
  'stride-vs-pool': { lesson: '003', build: () => strideVsPoolPreset(MNIST_CNN) },
  '3x3-vs-5x5': { lesson: '004', build: threeVsFivePreset },
  batchnorm: { lesson: '004', build: batchnormPreset },
  residual: { lesson: '004', build: residualPreset },
  depthwise: { lesson: '004', build: depthwisePreset },
}

export const PRESET_IDS = Object.keys(BUILDERS)

/**
 * The sweep a preset's lesson text asks for, set up in the Sweeps view when
 * that preset is the current experiment, so it is one press away in class.
 */
const SUGGESTED_SWEEPS: Record<string, SweepSpec> = {
  'patterns-few': { kind: 'train-count', values: [2, 5, 10, 30], seeds: 3 },
  'mnist-few': { kind: 'train-count', values: [30, 100, 300, 1000] },
  'patterns-shifted': { kind: 'augment', values: [0, 1, 2], seeds: 2 },
}

export function suggestedSweep(presetId: string | null): SweepSpec | undefined {
  return presetId ? SUGGESTED_SWEEPS[presetId] : undefined
}

/** A fresh, validated copy of a preset (callers may mutate it). */
export function getPreset(id: string): Experiment | undefined {
  const entry = BUILDERS[id]
  return entry ? Experiment.parse(entry.build()) : undefined
}

export function presetSummaries(): PresetSummary[] {
  return PRESET_IDS.map((id) => {
    const experiment = getPreset(id)!
    return { id, name: experiment.name, lesson: BUILDERS[id].lesson, description: experiment.description }
  })
}
