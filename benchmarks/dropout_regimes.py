#!/usr/bin/env python3
"""Does dropout measurably help, and where?  Paired seeds in d2l's setting and on small training sets.

    .venv/bin/python benchmarks/dropout_regimes.py            # about 5 minutes on 2 cores; writes benchmarks/DROPOUT.md
    .venv/bin/python benchmarks/dropout_regimes.py --no-write --quick   # the small regimes only

Section 3.9 compares dropout (0.2 and 0.5, d2l's rates) with no dropout on the
first 1,000 training images over seeds 0-4, because ten runs of d2l's full
setting would make the page too slow for CI.  This script answers what the
page cannot: d2l's own setting (784-256-256-10, weights N(0, 0.01^2), lr 0.5,
batch 256, 10 epochs on the 55,000 training images), and small training sets
trained for longer, each with and without dropout from the same initial
weights and minibatch order (``d2l.train_seeds``), on fresh seeds 100-104.
Reported per regime: the paired difference (dropout - no dropout) in the
validation accuracy and the validation loss, measured in evaluation mode on
the 5,000 validation images, with its 95 % t interval.

This is not a test: pytest never collects ``benchmarks/``.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import torch
from torch import nn

import course_utils as d2l

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "DROPOUT.md"
SEEDS = range(100, 105)


def make_net(p1: float, p2: float, d2l_init: bool) -> nn.Module:
    net = nn.Sequential(
        nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(p1),
        nn.Linear(256, 256), nn.ReLU(), nn.Dropout(p2), nn.Linear(256, 10),
    )  # fmt: skip
    if d2l_init:
        for m in net:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)
    return net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-write", action="store_true", help=f"print only; do not write {OUT.relative_to(ROOT)}")
    parser.add_argument("--quick", action="store_true", help="skip d2l's full setting")
    args = parser.parse_args()
    train_iter, val_iter, _ = d2l.load_fashion_mnist_splits(256)
    loss = nn.CrossEntropyLoss(reduction="none")
    # name, training images, epochs, lr, batch size, d2l's N(0, 0.01^2) initialisation
    regimes = [
        ("d2l's setting", len(train_iter.X), 10, 0.5, 256, True),
        ("section 3.9's small set", 1000, 50, 0.1, 100, False),
        ("small set, 4x longer", 1000, 200, 0.1, 100, False),
        ("500 images, 200 epochs", 500, 200, 0.1, 50, False),
        ("2,000 images, 100 epochs", 2000, 100, 0.1, 100, False),
    ]
    if args.quick:
        regimes = regimes[1:]
    started = time.time()
    rows = []
    for name, n, epochs, lr, batch, d2l_init in regimes:
        t0 = time.time()
        data = (train_iter.X[:n], train_iter.y[:n])
        val = {}
        for arm, (p1, p2) in {"dropout": (0.2, 0.5), "no dropout": (0.0, 0.0)}.items():
            runs = d2l.train_seeds(lambda p1=p1, p2=p2: make_net(p1, p2, d2l_init), SEEDS, data, loss,
                                   num_epochs=epochs, lr=lr, batch_size=batch)
            val[arm] = runs.evaluate((val_iter.X, val_iter.y), loss=loss, metric=d2l.accuracy)
        acc = d2l.compare_paired(val["dropout"]["score"], val["no dropout"]["score"], "dropout", "no dropout")
        vloss = d2l.compare_paired(val["dropout"]["loss"], val["no dropout"]["loss"], "dropout", "no dropout")
        mean_acc = sum(val["no dropout"]["score"]) / len(SEEDS)
        row = (f"| {name} | {n:,} | {epochs} | {lr:g} | {batch} | {mean_acc:.3f} | {acc.interval.format('.4f')} | "
               f"{acc.verdict()} | {vloss.interval.format('.4f')} | {vloss.verdict()} | {time.time() - t0:.0f} |")
        print(row, flush=True)
        rows.append(row)
    header = [
        "# Dropout over paired seeds: where does it measurably help?",
        "",
        f"Written by `.venv/bin/python benchmarks/dropout_regimes.py`; re-run it rather than editing this file. "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.processor() or platform.machine()}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); the run took {time.time() - started:.0f} s.",
        "",
        "Seeds 100-104, paired: each seed fixes the initial weights and the minibatch order of both arms. "
        "Dropout 0.2 and 0.5 after the two hidden layers of the 784-256-256-10 MLP, against no dropout. "
        "Validation: the 5,000 validation images, evaluation mode. Differences are dropout - no dropout, "
        "mean and 95 % t interval over the 5 seeds.",
        "",
        "| regime | training images | epochs | lr | batch | val acc, no dropout | val acc difference | verdict | "
        "val loss difference | verdict | seconds |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- | ---: |",
    ]
    if not args.no_write:
        OUT.write_text("\n".join(header + rows) + "\n")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
