/**
 * train.py of the exported PyTorch project (see ./project.ts), kept as text so every
 * door (terminal, desktop, browser server) ships it without a file to find at run time.
 * Its tests run it under /usr/bin/python3 with torch (test/host/pytorch-export.test.ts).
 */
export const TRAIN_PY = String.raw`#!/usr/bin/env python3
"""Trains a CNN Lab run again in PyTorch, step for step.

Written by CNN Lab's "export as PyTorch project". Everything the run used is in
the files next to this script (see README.md): the recipe, the initial weights,
the exact training and validation tensors, and the lab's shuffled batch order
(and augmentation shifts), so no random generator has to match the lab's.

  python3 train.py [--epochs N] [--device cpu|cuda] [--out DIR]
  torchrun --nproc_per_node=N train.py ...      DistributedDataParallel
  (Debian's torch 1.13 under Python 3.11: add --redirects 2 --tee 2 to torchrun,
  whose default "0" it cannot parse there)

Per-epoch metrics go to stdout as the lab's metrics.jsonl lines; --out gets a
folder the lab opens as a run (run.json, metrics.jsonl, weights/, snapshots/).
"""
import argparse
import datetime
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
# The lab caps one sample's cross-entropy at -log(1e-12), so one hopeless
# sample cannot make the mean infinite; it reports (and FD measures) that loss.
MAX_SAMPLE_LOSS = -math.log(1e-12)
BCE_CLAMP = 1e-12
EVAL_CHUNK = 1024


# ── safetensors: the package when installed, else this small reader/writer ──

DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64, 'I32': torch.int32}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}
STRUCT_CODES = {'F32': 'f', 'F64': 'd', 'I64': 'q', 'I32': 'i'}


def load_safetensors(path):
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        pass
    with open(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 8:
        raise SystemExit(f'{path}: not a safetensors file (too short)')
    (header_length,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + header_length].decode('utf-8'))
    body = raw[8 + header_length:]
    tensors = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        if info['dtype'] not in DTYPES:
            raise SystemExit(f'{path}: tensor {name} has dtype {info["dtype"]}, which this reader does not know')
        begin, end = info['data_offsets']
        dtype = DTYPES[info['dtype']]
        chunk = bytearray(body[begin:end])
        flat = torch.frombuffer(chunk, dtype=dtype) if chunk else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info['shape']).clone()
    return tensors


def tensor_bytes(t, dtype_name):
    try:
        return t.numpy().tobytes()
    except Exception:  # no numpy: pack value by value (slower, same bytes)
        values = t.reshape(-1).tolist()
        return struct.pack(f'<{len(values)}{STRUCT_CODES[dtype_name]}', *values)


def save_safetensors(tensors, path, metadata):
    tensors = {name: t.detach().to('cpu').contiguous() for name, t in tensors.items()}
    try:
        from safetensors.torch import save_file
        save_file(tensors, path, metadata=metadata)
        return
    except ImportError:
        pass
    header = {'__metadata__': metadata}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        dtype_name = DTYPE_NAMES[t.dtype]
        blob = tensor_bytes(t, dtype_name)
        header[name] = {'dtype': dtype_name, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)  # the reference writer pads the header to 8 bytes
    with open(path + '.tmp', 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(path + '.tmp', path)


# ── the models: torch.nn.Sequential, plus the blocks it lacks ───────────────

class GlobalMaxPool2d(nn.Module):
    """[N, C, H, W] -> [N, C]: each feature map's largest value (the lab's globalmaxpool2d).

    torch.max over a dim sends the whole gradient to the first maximum, as the lab does.
    """

    def forward(self, x):
        return x.flatten(2).max(dim=2).values


class GlobalAvgPool2d(nn.Module):
    """[N, C, H, W] -> [N, C]: each feature map's mean (the lab's globalavgpool2d)."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


class Residual(nn.Module):
    """y = x + body(x) (the lab's residual block): its weights are named body.M.…"""

    def __init__(self, body):
        super().__init__()
        self.body = nn.Sequential(*body)

    def forward(self, x):
        return x + self.body(x)


def pair(value):
    """The lab writes a size as a number or [h, w]; torch takes either as an int or a tuple."""
    return tuple(value) if isinstance(value, list) else value


def build_layer(layer):
    kind = layer['type']
    if kind == 'conv2d':
        return nn.Conv2d(layer['inChannels'], layer['outChannels'], pair(layer['kernelSize']),
                         stride=pair(layer.get('stride', 1)), padding=pair(layer.get('padding', 0)),
                         groups=layer.get('groups', 1), bias=layer.get('bias', True))
    if kind == 'avgpool2d':
        return nn.AvgPool2d(pair(layer['kernelSize']), stride=pair(layer.get('stride') or layer['kernelSize']))
    if kind == 'globalavgpool2d':
        return GlobalAvgPool2d()
    if kind == 'batchnorm2d':
        return nn.BatchNorm2d(layer['numFeatures'], eps=layer.get('eps', 1e-5), momentum=layer.get('momentum', 0.1))
    if kind == 'residual':
        return Residual([build_layer(inner) for inner in layer['layers']])
    if kind == 'linear':
        return nn.Linear(layer['inFeatures'], layer['outFeatures'], bias=layer['bias'])
    if kind == 'maxpool2d':
        return nn.MaxPool2d(layer['kernelSize'], stride=layer.get('stride') or layer['kernelSize'])
    if kind == 'globalmaxpool2d':
        return GlobalMaxPool2d()
    if kind == 'relu':
        return nn.ReLU()
    if kind == 'sigmoid':
        return nn.Sigmoid()
    if kind == 'flatten':
        return nn.Flatten()
    if kind == 'dropout':
        return nn.Dropout(layer['p'])
    raise SystemExit(f'experiment: layer type "{kind}" is not one train.py knows')


def build_model(spec, dtype, device):
    model = nn.Sequential(*[build_layer(layer) for layer in spec['layers']]).to(dtype)
    init = load_safetensors(os.path.join(HERE, 'init', spec['id'] + '.safetensors'))
    model.load_state_dict(init)  # strict: every weight of the epoch-0 snapshot, no more, no less
    return model.to(device)


# ── losses, as the lab computes them ────────────────────────────────────────

def per_sample_loss(output, y, kind):
    """The lab's per-sample loss, for reporting and finite differences."""
    if kind == 'softmax-cross-entropy':
        return torch.clamp(torch.logsumexp(output, dim=1) - output.gather(1, y[:, None])[:, 0], max=MAX_SAMPLE_LOSS)
    q = output[:, 0].clamp(BCE_CLAMP, 1 - BCE_CLAMP)
    return -torch.where(y == 1, torch.log(q), torch.log(1 - q))


def training_loss_sum(output, y, kind):
    """Summed loss whose gradient is the lab's (cross-entropy: uncapped; BCE: taken at the clamped p)."""
    if kind == 'softmax-cross-entropy':
        return F.cross_entropy(output, y, reduction='sum')
    p = output[:, 0]
    # Straight through the clamp: the gradient of -log q at the clamped q still reaches p,
    # so a saturated, confidently wrong sigmoid is pushed back (the lab's rule, and BCELoss's).
    q = p + (p.clamp(BCE_CLAMP, 1 - BCE_CLAMP) - p).detach()
    t = y.to(p.dtype)
    return -(t * torch.log(q) + (1 - t) * torch.log(1 - q)).sum()


def predictions(output, kind):
    if kind == 'softmax-cross-entropy':
        return output.argmax(dim=1)
    return (output[:, 0] >= 0.5).to(torch.int64)


@torch.no_grad()
def evaluate(model, x, y, kind, classes):
    model.eval()
    loss_sum = 0.0
    correct = 0
    predicted = []
    for start in range(0, len(y), EVAL_CHUNK):
        out = model(x[start:start + EVAL_CHUNK])
        target = y[start:start + EVAL_CHUNK]
        loss_sum += per_sample_loss(out, target, kind).sum().item()
        guess = predictions(out, kind)
        correct += (guess == target).sum().item()
        predicted.append(guess)
    predicted = torch.cat(predicted)
    confusion = torch.bincount(y * classes + predicted, minlength=classes * classes).reshape(classes, classes)
    return loss_sum / len(y), correct / len(y), confusion.tolist()


# ── one epoch ───────────────────────────────────────────────────────────────

def shifted(x, shifts, max_shift):
    """Each picture moved by its own (dx, dy), zero fill: dst[y][x] = src[y - dy][x - dx]."""
    out = torch.zeros_like(x)
    height, width = x.shape[-2:]
    span = 2 * max_shift + 1
    keys = (shifts[:, 0] + max_shift) * span + (shifts[:, 1] + max_shift)
    for key in torch.unique(keys).tolist():
        dx, dy = key // span - max_shift, key % span - max_shift
        rows = (keys == key).nonzero()[:, 0]
        y0, y1, x0, x1 = max(0, dy), min(height, height + dy), max(0, dx), min(width, width + dx)
        if y0 < y1 and x0 < x1:
            out[rows, :, y0:y1, x0:x1] = x[rows, :, y0 - dy:y1 - dy, x0 - dx:x1 - dx]
    return out


def backprop_epoch(net, optimizer, data, order, shifts, batch_size, kind, dist):
    net.train()
    count = len(order)
    for start in range(0, count, batch_size):
        batch = order[start:start + batch_size]
        # Every rank takes its slice of the global batch; the summed loss scaled by
        # world/batch makes DDP's averaged gradient the whole batch's mean gradient.
        mine = batch.tensor_split(dist['world'])[dist['rank']]
        x = data['train_x'][mine]
        if shifts is not None:
            x = shifted(x, shifts[mine], data['max_shift'])
        y = data['train_y'][mine]
        optimizer.zero_grad(set_to_none=False)
        loss = training_loss_sum(net(x), y, kind) * (dist['world'] / len(batch))
        loss.backward()
        optimizer.step()


@torch.no_grad()
def finite_difference_epoch(model, optimizer, data, kind, epsilon):
    """Lesson 000's gradient: every weight nudged by ±epsilon, the mean loss measured on the whole set."""
    model.eval()
    x, y = data['train_x'], data['train_y']

    def mean_loss():
        return per_sample_loss(model(x), y, kind).mean().item()

    for param in model.parameters():
        flat = param.view(-1)
        grad = torch.empty_like(flat)
        for i in range(flat.numel()):
            original = flat[i].item()
            flat[i] = original + epsilon
            up = mean_loss()
            flat[i] = original - epsilon
            down = mean_loss()
            flat[i] = original
            grad[i] = (up - down) / (2 * epsilon)
        param.grad = grad.view_as(param)
    optimizer.step()


# ── the run ─────────────────────────────────────────────────────────────────

def read_json(name):
    with open(os.path.join(HERE, name), encoding='utf-8') as f:
        return json.load(f)


def distributed(device):
    world = int(os.environ.get('WORLD_SIZE', '1'))
    if world == 1:
        return {'world': 1, 'rank': 0, 'local': 0}
    import torch.distributed as torch_dist
    torch_dist.init_process_group('nccl' if device == 'cuda' else 'gloo')
    return {'world': world, 'rank': torch_dist.get_rank(), 'local': int(os.environ.get('LOCAL_RANK', '0'))}


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def main():
    parser = argparse.ArgumentParser(description='Train a CNN Lab run again in PyTorch.')
    parser.add_argument('--epochs', type=int, help='train at most N epochs of each model (default: the run\'s)')
    parser.add_argument('--device', default='cpu', help='cpu, cuda or cuda:N (default cpu)')
    parser.add_argument('--out', help='folder to write the run to (default: runs/<time> next to train.py)')
    args = parser.parse_args()
    if args.epochs is not None and args.epochs < 1:
        parser.error('--epochs: must be at least 1')

    experiment = read_json('experiment.cnnlab.json')
    template = read_json('run-template.json')
    settings = experiment['training']
    kind = settings['loss']
    dtype = torch.float64 if settings['precision'] == 'float64' else torch.float32
    finite = settings['gradient'] == 'finite-difference'

    device = args.device
    if device.startswith('cuda') and not torch.cuda.is_available():
        raise SystemExit('--device cuda: this torch sees no CUDA device (torch.cuda.is_available() is False)')
    dist = distributed('cuda' if device.startswith('cuda') else 'cpu')
    if device == 'cuda' and dist['world'] > 1:
        device = f'cuda:{dist["local"]}'
    if finite and dist['world'] > 1:
        raise SystemExit('finite-difference runs measure every gradient on the whole set in one process: run python3 train.py')
    if settings['precision'] == 'float64' and device.startswith('cuda'):
        print('note: float64 on a GPU is slow; the run was float64, so it stays float64', file=sys.stderr)
    lead = dist['rank'] == 0

    out = args.out or os.path.join(HERE, 'runs', datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H-%M-%S'))
    if lead:
        if os.path.isdir(out) and os.listdir(out):
            raise SystemExit(f'--out {out}: the folder is not empty; choose a new or empty folder')
        os.makedirs(os.path.join(out, 'weights'), exist_ok=True)
        with open(os.path.join(out, 'experiment.cnnlab.json'), 'w', encoding='utf-8') as f:
            json.dump(experiment, f, indent=2)

    train = load_safetensors(os.path.join(HERE, 'data', 'train.safetensors'))
    val = load_safetensors(os.path.join(HERE, 'data', 'val.safetensors'))
    orders = load_safetensors(os.path.join(HERE, 'data', 'order.safetensors'))
    augment = (settings.get('augment') or {}).get('shift', 0) if not finite else 0
    data = {
        'train_x': train['x'].to(device, dtype), 'train_y': train['y'].to(device),
        'val_x': val['x'].to(device, dtype), 'val_y': val['y'].to(device),
        'max_shift': augment,
    }
    shifts = orders['shifts'].to(device) if augment > 0 else None
    classes = len(template['classes'])
    snapshot_epochs = set(settings.get('snapshotEpochs', []))
    last_snapshot = max(snapshot_epochs, default=-1)

    started = now_iso()
    final = {}
    models = []
    metrics_path = os.path.join(out, 'metrics.jsonl')
    for spec, summary in zip(experiment['models'], template['models']):
        overrides = spec.get('training') or {}
        epochs = overrides.get('epochs', settings['epochs'])
        if args.epochs is not None:
            epochs = min(epochs, args.epochs)
        learning_rate = overrides.get('learningRate', settings['learningRate'])
        batch_setting = overrides.get('batchSize', settings['batchSize'])
        count = len(data['train_y'])
        batch_size = count if batch_setting == 'full' else min(batch_setting, count)
        order = orders[spec['id']].to(device)

        model = build_model(spec, dtype, device)
        net = model
        if dist['world'] > 1:
            from torch.nn.parallel import DistributedDataParallel
            net = DistributedDataParallel(model, device_ids=[device] if device.startswith('cuda') else None)
        # The lab's SGD is torch's: v <- mu*v + g (v starts as the first g), p <- p - lr*v.
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=settings['momentum'])
        models.append({**summary, 'epochs': epochs})
        seconds = 0.0

        def record(epoch):
            if not lead:
                return
            train_loss, train_accuracy = evaluate(model, data['train_x'], data['train_y'], kind, classes)[:2]
            if not math.isfinite(train_loss):
                raise SystemExit(f'model "{spec["id"]}" diverged at epoch {epoch} (training loss is {train_loss}); try a smaller learning rate')
            val_loss, val_accuracy, confusion = evaluate(model, data['val_x'], data['val_y'], kind, classes)
            row = {'model': spec['id'], 'epoch': epoch, 'trainLoss': train_loss, 'trainAccuracy': train_accuracy,
                   'valLoss': val_loss, 'valAccuracy': val_accuracy, 'seconds': seconds, 'confusion': confusion}
            line = json.dumps(row, separators=(',', ':'))
            print(line, flush=True)
            with open(metrics_path, 'a', encoding='utf-8') as f:
                f.write(line + '\n')
            final[spec['id']] = row
            if epoch in snapshot_epochs or (epoch == epochs and last_snapshot > epochs):
                folder = os.path.join(out, 'snapshots', spec['id'])
                os.makedirs(folder, exist_ok=True)
                save_safetensors(model.state_dict(), os.path.join(folder, f'epoch-{epoch:04d}.safetensors'),
                                 {'format': 'pt', 'model': spec['id'], 'epoch': str(epoch)})

        record(0)
        for epoch in range(1, epochs + 1):
            if device.startswith('cuda'):
                torch.cuda.synchronize()
            begin = time.perf_counter()
            if finite:
                finite_difference_epoch(model, optimizer, data, kind, settings['epsilon'])
            else:
                epoch_shifts = shifts[epoch - 1] if shifts is not None else None
                backprop_epoch(net, optimizer, data, order[epoch - 1], epoch_shifts, batch_size, kind, dist)
            if device.startswith('cuda'):
                torch.cuda.synchronize()
            seconds += time.perf_counter() - begin
            record(epoch)
        if lead:
            save_safetensors(model.state_dict(), os.path.join(out, 'weights', spec['id'] + '.safetensors'),
                             {'format': 'pt', 'model': spec['id']})

    if lead:
        run = {**template, 'status': 'completed', 'startedAt': started, 'endedAt': now_iso(),
               'engineVersion': f'torch {torch.__version__}', 'models': models, 'final': final,
               'pytorch': {'device': device, 'worldSize': dist['world']}}
        with open(os.path.join(out, 'run.json'), 'w', encoding='utf-8') as f:
            json.dump(run, f, indent=2)
            f.write('\n')
        print(f'wrote {out}', file=sys.stderr)
    if dist['world'] > 1:
        import torch.distributed as torch_dist
        torch_dist.barrier()
        torch_dist.destroy_process_group()


if __name__ == '__main__':
    main()
`
