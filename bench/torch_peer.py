#!/usr/bin/python3
"""PyTorch peer for `npm run bench`: the same workloads, on the same machine, in
PyTorch (Debian's python3-torch), one JSON line per workload with the same
`name` as bench/run.ts prints, so the bench can print the ratio beside each line.

Run by bench/run.ts as `/usr/bin/python3 bench/torch_peer.py --threads N`; the
data are random tensors of the right shapes (speed does not depend on the
pixels), the models are the lab presets' layer lists, SGD as in the presets.
"""
import argparse
import json
import sys
import time

import torch
from torch import nn


def emit(name, value, unit):
    print(json.dumps({"name": name, "value": value, "unit": unit}), flush=True)


def best_of(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def mnist_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def mnist_mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def throughput(model, seconds):
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    samples = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        samples += 64
    return samples / (time.perf_counter() - t0)


def patterns3():
    """Lesson 001's two tiny models, 80 epochs of batch 18 on 180 images, evaluating train and val each epoch."""
    torch.manual_seed(0)
    x_train, y_train = torch.rand(180, 1, 8, 8), torch.randint(0, 3, (180,))
    x_val, y_val = torch.rand(90, 1, 8, 8), torch.randint(0, 3, (90,))
    cnn = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(27, 3))
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(64, 18), nn.ReLU(), nn.Linear(18, 3))
    loss_fn = nn.CrossEntropyLoss()

    def run():
        for model in (cnn, mlp):
            opt = torch.optim.SGD(model.parameters(), lr=0.12)
            for _ in range(80):
                order = torch.randperm(180)
                for start in range(0, 180, 18):
                    idx = order[start:start + 18]
                    opt.zero_grad()
                    loss_fn(model(x_train[idx]), y_train[idx]).backward()
                    opt.step()
                with torch.no_grad():
                    for xs, ys in ((x_train, y_train), (x_val, y_val)):
                        out = model(xs)
                        loss_fn(out, ys).item()
                        (out.argmax(1) == ys).sum().item()

    return best_of(run, 3)


PRESET_NAME = "mnist preset, Train to done (training and evaluation)"


def mnist_preset():
    """The mnist preset's run without its files: both models one after the other, 8,000 training and
    2,000 validation pictures already in memory (random: speed does not depend on the pixels), 3 epochs of
    batch 64 (SGD 0.05, momentum 0.9, reshuffled each epoch), both sets evaluated before training and after
    every epoch in chunks of 256, as the lab's trainer does. Seconds, one run."""
    torch.manual_seed(3)
    x_train, y_train = torch.rand(8000, 1, 28, 28), torch.randint(0, 10, (8000,))
    x_val, y_val = torch.rand(2000, 1, 28, 28), torch.randint(0, 10, (2000,))
    loss_fn = nn.CrossEntropyLoss()

    def evaluate(model, xs, ys):
        with torch.no_grad():
            loss, right = 0.0, 0
            for start in range(0, len(ys), 256):
                out = model(xs[start:start + 256])
                loss += loss_fn(out, ys[start:start + 256]).item() * len(out)
                right += (out.argmax(1) == ys[start:start + 256]).sum().item()
        return loss / len(ys), right / len(ys)

    t0 = time.perf_counter()
    for model in (mnist_cnn(), mnist_mlp()):
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        for epoch in range(4):
            if epoch > 0:
                order = torch.randperm(8000)
                for start in range(0, 8000, 64):
                    idx = order[start:start + 64]
                    opt.zero_grad()
                    loss_fn(model(x_train[idx]), y_train[idx]).backward()
                    opt.step()
            evaluate(model, x_train, y_train)
            evaluate(model, x_val, y_val)
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", action="append", help="run just this workload (repeatable; the bench's 2-thread lines)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seconds = 2 if args.quick else 6
    if args.only:
        if "mnist CNN training, batch 64" in args.only:
            torch.manual_seed(3)
            emit("mnist CNN training, batch 64", round(throughput(mnist_cnn(), seconds)), "samples/s")
        if PRESET_NAME in args.only:
            emit(PRESET_NAME, round(mnist_preset(), 2), "s")
        return

    # GEMM at the CNN's second conv layer, batch 64: [12544, 288] x [288, 64] and the transposes for dW and dX.
    a = torch.rand(12544, 288)
    b = torch.rand(288, 64)
    dy = torch.rand(12544, 64)
    for name, fn, flops in (
        ("gemm [12544,288]x[288,64] (conv forward)", lambda: a @ b, 2 * 12544 * 288 * 64),
        ("gemm [288,12544]x[12544,64] (conv dW)", lambda: a.t() @ dy, 2 * 12544 * 288 * 64),
        ("gemm [12544,64]x[64,288] (conv dX)", lambda: dy @ b.t(), 2 * 12544 * 288 * 64),
    ):
        emit(name, round(flops / best_of(fn, 10) / 1e9, 1), "GFLOP/s")

    emit("patterns-3 preset (CNN + MLP, 80 epochs)", round(patterns3() * 1000, 1), "ms")

    torch.manual_seed(3)
    emit("mnist CNN training, batch 64", round(throughput(mnist_cnn(), seconds)), "samples/s")
    emit("mnist MLP training, batch 64", round(throughput(mnist_mlp(), seconds / 2)), "samples/s")

    cnn = mnist_cnn().eval()
    one = torch.rand(1, 1, 28, 28)
    with torch.no_grad():
        for _ in range(10):
            cnn(one)
        emit("mnist CNN forward pass, one image", round(best_of(lambda: cnn(one), 50) * 1000, 3), "ms")


if __name__ == "__main__":
    sys.exit(main())
