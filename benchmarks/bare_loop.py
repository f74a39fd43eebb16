#!/usr/bin/env python3
"""course_utils.train_ch3 against the bare loop a learner would write, interleaved in one run.

    .venv/bin/python benchmarks/bare_loop.py                 # 5 repeats, 3 epochs; updates benchmarks/RESULTS.md
    .venv/bin/python benchmarks/bare_loop.py --repeats 3 --epochs 2 --no-write   # a quick look

The floor that matters for a learner is not d2l but the loop they would write
themselves on tensors already in memory: per epoch a permutation, then per
minibatch slice, forward, loss, backward, step, and one test evaluation at the
end of the epoch.  ``train_ch3`` does the same work plus its bookkeeping (the
running loss and accuracy of every batch, the live plot).  Both run on the
same model from the same initial weights with the same batch size, learning
rate and number of epochs, one after the other, ``--repeats`` times
(interleaved, so a busy machine slows both alike), with one torch thread as in
the Makefile.  Reported: the median seconds per epoch of each and their ratio,
with the targets of issue 14 (softmax regression at most 1.25, the MLP at most
1.1).  ``train_ch3`` runs with its defaults (``animate=True``: outside Jupyter
the figure is updated but not shown) and with ``animate=False``.  Where a
target is missed, ``--profile`` prints where ``train_ch3``'s extra time goes.

This is not a test: pytest never collects ``benchmarks/``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import torch  # noqa: E402
from torch import nn  # noqa: E402

import course_utils as d2l  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import make_net  # noqa: E402  (d2l's two models, the same as the d2l benchmark's)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
TARGETS = {"softmax": 1.25, "mlp": 1.1}
BATCH, LR = 256, 0.1
SECTION_START = "<!-- bare-loop: begin -->"
SECTION_END = "<!-- bare-loop: end -->"


def bare_loop(net: nn.Module, X: torch.Tensor, y: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor,
              epochs: int, seed: int) -> float:
    """The loop a learner writes; returns the final test accuracy."""
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(seed)
    acc = 0.0
    for _ in range(epochs):
        net.train()
        order = torch.randperm(len(X), generator=g)
        for start in range(0, len(X), BATCH):
            idx = order[start:start + BATCH]
            loss = loss_fn(net(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            acc = float((net(X_test).argmax(1) == y_test).float().mean())
    return acc


def with_train_ch3(net: nn.Module, X: torch.Tensor, y: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor,
                   epochs: int, seed: int, animate: bool) -> float:
    train_iter = d2l.TensorLoader(X, y, BATCH, shuffle=True, generator=torch.Generator().manual_seed(seed))
    test_iter = d2l.TensorLoader(X_test, y_test, BATCH)
    history = d2l.train_ch3(net, train_iter, test_iter, nn.CrossEntropyLoss(reduction="none"), epochs,
                            torch.optim.SGD(net.parameters(), lr=LR), animate=animate)
    return history["test_acc"][-1]


def timed(fn, *args) -> tuple[float, float]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--no-write", action="store_true", help=f"print only; do not update {RESULTS.relative_to(ROOT)}")
    p.add_argument("--profile", action="store_true", help="profile one train_ch3 epoch of each model")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    images, labels = d2l.read_fashion_mnist(train=True)
    X = images.unsqueeze(1).float().div_(255.0)
    test_images, y_test = d2l.read_fashion_mnist(train=False)
    X_test = test_images.unsqueeze(1).float().div_(255.0)

    # Warm-up: the first use of torch.optim imports torch._dynamo (seconds, once per process).
    for kind in ("softmax", "mlp"):
        bare_loop(make_net(kind, 0), X[:2048], labels[:2048], X_test[:512], y_test[:512], 1, 0)
        with_train_ch3(make_net(kind, 0), X[:2048], labels[:2048], X_test[:512], y_test[:512], 1, 0, True)

    rows = []
    for kind in ("softmax", "mlp"):
        times = {"bare": [], "train_ch3": [], "train_ch3 animate=False": []}
        accs = {k: [] for k in times}
        for r in range(args.repeats):
            for name in times:  # interleaved: one of each per repeat
                net = make_net(kind, seed=r)
                if name == "bare":
                    t, acc = timed(bare_loop, net, X, labels, X_test, y_test, args.epochs, r)
                else:
                    t, acc = timed(with_train_ch3, net, X, labels, X_test, y_test, args.epochs, r,
                                   name == "train_ch3")
                times[name].append(t / args.epochs)
                accs[name].append(acc)
            print(f"{kind} repeat {r + 1}: " + ", ".join(f"{k} {v[-1]:.3f} s/epoch" for k, v in times.items()),
                  flush=True)
        med = {k: statistics.median(v) for k, v in times.items()}
        # The ratio of each repeat's pair, then its median: both ran at the same moment.
        ratio = statistics.median(a / b for a, b in zip(times["train_ch3"], times["bare"]))
        ratio_quiet = statistics.median(a / b for a, b in zip(times["train_ch3 animate=False"], times["bare"]))
        rows.append({"kind": kind, "med": med, "ratio": ratio, "ratio_noanim": ratio_quiet,
                     "acc": {k: statistics.median(v) for k, v in accs.items()}, "target": TARGETS[kind]})

    profile_text = ""
    if args.profile:
        for kind in ("softmax", "mlp"):
            prof = cProfile.Profile()
            net = make_net(kind, 0)
            prof.enable()
            with_train_ch3(net, X, labels, X_test, y_test, 1, 0, True)
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
            profile_text += f"\n#### {kind}: one epoch of train_ch3, top functions by own time\n\n```\n"
            profile_text += "\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()) + "\n```\n"

    lines = [
        SECTION_START,
        "## `train_ch3` against the bare loop (issue 14)",
        "",
        f"Written by `benchmarks/bare_loop.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        f"{args.repeats} interleaved repeats of {args.epochs} epochs each, one torch thread, "
        f"{platform.machine()} with {os.cpu_count()} cores (load average at the end: "
        f"{os.getloadavg()[0]:.1f}), torch {torch.__version__}. Seconds per epoch are medians; the ratio is "
        "the median of the per-repeat ratios (both members of a pair ran back to back).",
        "",
        "| model | bare loop (s/epoch) | `train_ch3` (s/epoch) | ratio | target | met | `animate=False` ratio | test acc. bare / `train_ch3` |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        m, a = row["med"], row["acc"]
        lines.append(
            f"| {row['kind']} | {m['bare']:.3f} | {m['train_ch3']:.3f} | {row['ratio']:.3f} | "
            f"≤ {row['target']} | {'yes' if row['ratio'] <= row['target'] else 'no'} | {row['ratio_noanim']:.3f} | "
            f"{a['bare']:.3f} / {a['train_ch3']:.3f} |"
        )
    lines += ["", "What `train_ch3` adds per batch: the loss is kept per example (`reduction='none'`) and "
              "summed, the batch accuracy is computed, and three Python floats are read back; per epoch it "
              "updates the figure of its live plot (with `animate=True`). What it saves: its `TensorLoader` "
              "gathers a batch with `index_select`, while the bare loop indexes `X[idx]` as a learner "
              "would write it, which is a little slower; that is why a ratio can come out below 1.",
              profile_text, SECTION_END]
    section = "\n".join(lines).rstrip() + "\n"
    print(section)
    if not args.no_write:
        text = RESULTS.read_text() if RESULTS.is_file() else "# Benchmarks\n"
        if SECTION_START in text:
            text = re.sub(re.escape(SECTION_START) + ".*?" + re.escape(SECTION_END) + "\n?", section, text, flags=re.S)
        else:
            text = text.rstrip() + "\n\n" + section
        RESULTS.write_text(text)
        print(f"updated {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
