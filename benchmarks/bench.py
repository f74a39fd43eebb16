#!/usr/bin/env python3
"""Benchmarks of issue 6: course_utils against d2l 0.17.6, in one run.

    .venv/bin/python benchmarks/bench.py                    # everything, writes benchmarks/RESULTS.md
    .venv/bin/python benchmarks/bench.py --skip-notebooks   # without the notebook suite
    .venv/bin/python benchmarks/bench.py --quick            # 1 repeat, 2 epochs, no suite; prints only

What it measures (every contender repeated ``--repeats`` times, interleaved,
reporting the minimum and the median):

1. one pass over the Fashion-MNIST training iterator of batch size 256;
2. softmax regression (d2l 3.7: Flatten + Linear(784, 10), weights N(0, 0.01^2),
   CrossEntropyLoss, SGD lr 0.1, batch 256, 10 epochs): seconds per epoch
   including the test evaluation, and the final loss and accuracies;
3. the same for the MLP (d2l 4.3: 784-256-10, ReLU);
4. the float32 matmul rate of this machine and the resulting floor per epoch;
5. ``import course_utils``, ``import torch`` and ``from d2l import torch as d2l``,
   each in a fresh process;
6. the notebook suite: the Makefile's ``notebooks`` command, its wall time and
   each notebook's time;

plus a thread study (course_utils and d2l with one and with two torch threads
in the main process).  Timings are only comparable within one run: the ratios
at the end, taken from the same run, are what the targets of the issue refer to.

Both training loops draw their progress plot as they would in a script: d2l's
``Animator`` (pyplot; its ``display`` output is discarded) and course_utils'
``Animator`` (``train_ch3``'s default ``animate=True``; outside Jupyter it only
updates the figure).  d2l reads the data through torchvision from ``../data``,
so it runs from a temporary directory whose ``../data/FashionMNIST/raw`` holds
links to the verified files that course_utils prepares (no download).

This is not a test: pytest never collects ``benchmarks/`` (see pyproject.toml).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import io
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

# The environment of the course's test command (Makefile): set before torch is imported.
COURSE_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
for _key, _value in COURSE_ENV.items():
    os.environ.setdefault(_key, _value)
os.environ.setdefault("MPLBACKEND", "Agg")

import torch  # noqa: E402
from torch import nn  # noqa: E402

warnings.filterwarnings("ignore", message="This DataLoader will create", category=UserWarning)
warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad=True", category=UserWarning)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BATCH_SIZE = 256
LR = 0.1

#: The notebook part of the test command, as in the Makefile's ``notebooks`` target
#: (``-n JOBS --dist loadfile`` is added for JOBS > 1).
NBVAL_ARGS = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "nbval_sanitize.cfg", "chapters"]

#: Targets of issue 6.
TARGET_SOFTMAX_SPEEDUP = 30.0
TARGET_LOADER_SPEEDUP = 30.0
TARGET_MLP_OVER_FLOOR = 1.2
TARGET_ACC_POINTS = 1.0
TARGET_IMPORT_EXTRA_S = 1.0
TARGET_SUITE_S = 180.0


# --------------------------------------------------------------------------- helpers


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def stats(xs: list[float]) -> dict[str, float]:
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "n": len(xs)}


def fmt_s(x: float) -> str:
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


@contextlib.contextmanager
def num_threads(n: int):
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def import_d2l() -> tuple[types.ModuleType, bool]:
    """Import ``d2l.torch``; where pandas is missing, a placeholder stands in while it is imported.

    d2l 0.17.6 (installed with ``--no-deps``) imports pandas at import time but
    never uses it in chapters 3-4.  Returns the module and whether pandas was stubbed.
    """
    try:
        return importlib.import_module("d2l.torch"), False
    except ModuleNotFoundError as e:
        if e.name != "pandas":
            raise
    placeholder = types.ModuleType("pandas")
    sys.modules["pandas"] = placeholder
    try:
        return importlib.import_module("d2l.torch"), True
    finally:
        if sys.modules.get("pandas") is placeholder:
            del sys.modules["pandas"]


def d2l_data_root() -> Path:
    """A temporary working directory whose ``../data/FashionMNIST/raw`` links to the verified files."""
    import course_utils

    course_utils.fashion_mnist_torchvision(train=True)  # decompresses and verifies once, into the cache
    raw = course_utils.cache_dir() / "torchvision" / "FashionMNIST" / "raw"
    base = Path(tempfile.mkdtemp(prefix="bench-d2l-"))
    (base / "data" / "FashionMNIST" / "raw").mkdir(parents=True)
    for f in raw.iterdir():
        if f.is_file() and not f.name.endswith((".part", ".gz")):
            (base / "data" / "FashionMNIST" / "raw" / f.name).symlink_to(f.resolve())
    (base / "work").mkdir()
    return base


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem = f"{kb / 2**20:.0f} GiB"
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": mem, "os": platform.platform()}


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("torch", "torchvision", "numpy", "d2l", "course_utils"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


# --------------------------------------------------------------------------- models


def make_net(kind: str, seed: int) -> nn.Module:
    """d2l 3.7 (softmax) or 4.3 (mlp), weights N(0, 0.01^2), biases as PyTorch initialises them."""
    torch.manual_seed(seed)
    if kind == "softmax":
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    else:
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
    return net


class Contenders:
    """Loaders of both packages, built once, and the training runs on them."""

    def __init__(self, d2l: types.ModuleType, d2l_root: Path) -> None:
        import course_utils

        self.cu, self.d2l = course_utils, d2l
        # One-time imports out of the timed runs: course_utils' Animator imports matplotlib
        # on first use (d2l imported pyplot when it was imported).
        importlib.import_module("course_utils.plotting")
        importlib.import_module("matplotlib.figure")
        t = time.perf_counter()
        self.cu_iters = course_utils.load_data_fashion_mnist(BATCH_SIZE)
        self.cu_build_s = time.perf_counter() - t
        t = time.perf_counter()
        with contextlib.chdir(d2l_root / "work"):
            self.d2l_iters = d2l.load_data_fashion_mnist(BATCH_SIZE)
        self.d2l_build_s = time.perf_counter() - t

    def loader_pass(self, who: str) -> float:
        it = self.cu_iters[0] if who == "course_utils" else self.d2l_iters[0]
        t = time.perf_counter()
        n = 0
        for X, y in it:
            n += len(y)
        elapsed = time.perf_counter() - t
        assert n == 60_000, n
        return elapsed

    def train(self, who: str, kind: str, epochs: int, seed: int) -> dict[str, Any]:
        """Run ``train_ch3`` of ``who``; return seconds per epoch and the final metrics."""
        net = make_net(kind, seed)
        loss = nn.CrossEntropyLoss(reduction="none")
        trainer = torch.optim.SGD(net.parameters(), lr=LR)
        if who == "course_utils":
            train_iter, test_iter = self.cu_iters
            t = time.perf_counter()
            history = self.cu.train_ch3(net, train_iter, test_iter, loss, epochs, trainer)
            elapsed = time.perf_counter() - t
            final = (history["train_loss"][-1], history["train_acc"][-1], history["test_acc"][-1])
            note = ""
        else:
            elapsed, final, note = self._train_d2l(net, loss, trainer, epochs)
        return {"epoch_s": elapsed / epochs, "train_loss": final[0], "train_acc": final[1], "test_acc": final[2], "note": note}

    def _train_d2l(self, net: nn.Module, loss: Any, trainer: Any, epochs: int) -> tuple[float, tuple, str]:
        """d2l.train_ch3 returns nothing: record its epochs by wrapping the two functions it calls."""
        d2l = self.d2l
        seen: dict[str, Any] = {}
        orig_epoch, orig_eval = d2l.train_epoch_ch3, d2l.evaluate_accuracy

        def train_epoch(*args: Any) -> Any:
            seen["train"] = orig_epoch(*args)
            return seen["train"]

        def evaluate(*args: Any) -> Any:
            seen["test_acc"] = orig_eval(*args)
            return seen["test_acc"]

        train_iter, test_iter = self.d2l_iters
        note = ""
        d2l.train_epoch_ch3, d2l.evaluate_accuracy = train_epoch, evaluate
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # Animator's display() prints the figure's repr
                t = time.perf_counter()
                try:
                    d2l.train_ch3(net, train_iter, test_iter, loss, epochs, trainer)
                except AssertionError as e:  # d2l's hidden accuracy asserts (short --quick runs)
                    note = f"d2l's train_ch3 assert failed: {e}"
                elapsed = time.perf_counter() - t
        finally:
            d2l.train_epoch_ch3, d2l.evaluate_accuracy = orig_epoch, orig_eval
            d2l.plt.close("all")
        return elapsed, (*seen["train"], seen["test_acc"]), note


# --------------------------------------------------------------------------- matmul floor


class _GemmRecorder(torch.utils._python_dispatch.TorchDispatchMode):
    """Record every matrix product (op, shapes, strides) that runs while it is active."""

    OPS = {torch.ops.aten.mm.default, torch.ops.aten.addmm.default, torch.ops.aten.bmm.default}

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[Any, list[Any], dict[str, Any]]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        kwargs = kwargs or {}
        if func in self.OPS:
            spec = [(tuple(a.shape), a.stride(), a.dtype) if isinstance(a, torch.Tensor) else a for a in args]
            self.calls.append((func, spec, dict(kwargs)))
        return func(*args, **kwargs)


def _replay_seconds(calls: list, threads: int, min_time: float = 0.3) -> float:
    """Seconds for one run of the recorded products with fresh operands (best of several)."""
    prepared = []
    for func, spec, kwargs in calls:
        args = [torch.empty_strided(s[0], s[1], dtype=s[2]).normal_() if isinstance(s, tuple) and len(s) == 3 and isinstance(s[1], tuple) else s for s in spec]
        prepared.append((func, args, kwargs))
    with num_threads(threads):
        for func, args, kwargs in prepared:  # warm-up
            func(*args, **kwargs)
        best, spent = float("inf"), 0.0
        while spent < min_time:
            t = time.perf_counter()
            for func, args, kwargs in prepared:
                func(*args, **kwargs)
            dt_ = time.perf_counter() - t
            best, spent = min(best, dt_), spent + dt_
    return best


def matmul_floor(kind: str, threads: int) -> dict[str, float]:
    """FLOPs of one epoch (train + test evaluation) and the time its matrix products alone take."""
    from torch.utils.flop_counter import FlopCounterMode

    import course_utils

    net = make_net(kind, 0)
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(net.parameters(), lr=LR)
    X = torch.rand(BATCH_SIZE, 1, 28, 28)
    y = torch.randint(0, 10, (BATCH_SIZE,))
    flops = {}
    gemms = {}
    for phase in ("train", "test"):
        counter, recorder = FlopCounterMode(display=False), _GemmRecorder()
        with counter, recorder:
            if phase == "train":
                course_utils.train_epoch_ch3(net, [(X, y)], loss, trainer)
            else:
                course_utils.evaluate_accuracy(net, [(X, y)])
        flops[phase], gemms[phase] = counter.get_total_flops(), recorder.calls
    batches = {"train": 60_000 / BATCH_SIZE, "test": 10_000 / BATCH_SIZE}
    epoch_flops = sum(flops[p] * batches[p] for p in batches)
    floor_s = sum(_replay_seconds(gemms[p], threads) * batches[p] for p in batches)
    # The issue's convention: a training step costs 3x the forward products (as if the
    # input gradient were computed too) and the test set 1x; flops["test"] is one forward pass.
    issue_flops = flops["test"] * (3 * batches["train"] + batches["test"])
    return {"gflop": epoch_flops / 1e9, "floor_s": floor_s, "gflops_rate": epoch_flops / floor_s / 1e9,
            "gflop_issue": issue_flops / 1e9}


def square_matmul_rate(threads: int, n: int = 1024) -> float:
    """GFLOP/s of a float32 n x n x n product (best of several)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    with num_threads(threads):
        a @ b
        best, spent = float("inf"), 0.0
        while spent < 0.5:
            t = time.perf_counter()
            a @ b
            dt_ = time.perf_counter() - t
            best, spent = min(best, dt_), spent + dt_
    return 2 * n**3 / best / 1e9


# --------------------------------------------------------------------------- imports and notebooks

IMPORTS = {
    "python -c pass": "pass",
    "import torch": "import torch",
    "import course_utils": "import course_utils",
    "from d2l import torch as d2l": (
        "import importlib.util, sys, types\n"
        "if importlib.util.find_spec('pandas') is None: sys.modules['pandas'] = types.ModuleType('pandas')\n"
        "from d2l import torch as d2l"
    ),
}


def time_import(code: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of ``python -c code`` in a fresh process."""
    import resource

    env = {**os.environ, **COURSE_ENV}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=tempfile.gettempdir())
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_notebook_suite(jobs: int) -> dict[str, Any]:
    """Run the notebook part of the test command; return its wall time and each notebook's time."""
    with tempfile.TemporaryDirectory(prefix="bench-nb-") as tmp:
        junit = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"]
        if jobs > 1:
            cmd += ["-n", str(jobs), "--dist", "loadfile"]
        cmd += [*NBVAL_ARGS, f"--junitxml={junit}"]
        env = {**os.environ, **COURSE_ENV}
        env.pop("MPLBACKEND", None)  # as under make: the kernels choose their own backend
        t = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t
        per_nb: dict[str, float] = {}
        failed: set[str] = set()
        if junit.is_file():
            for case in ET.parse(junit).getroot().iter("testcase"):
                nb = case.get("file") or case.get("classname", "?")
                m = re.match(r"(.*?\.ipynb)", nb)
                nb = m.group(1) if m else nb
                if "/" not in nb and nb.endswith(".ipynb"):  # junit's classname: chapters.01_x.02_y.ipynb
                    nb = nb[: -len(".ipynb")].replace(".", "/") + ".ipynb"
                per_nb[nb] = per_nb.get(nb, 0.0) + float(case.get("time", 0))
                if case.find("failure") is not None or case.find("error") is not None:
                    failed.add(nb)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr.strip()[-300:]
    return {"jobs": jobs, "wall_s": wall, "returncode": proc.returncode, "summary": summary,
            "notebooks": per_nb, "failed": sorted(failed), "command": " ".join(cmd[1:-1])}


# --------------------------------------------------------------------------- the run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3, help="runs of each contender (min and median reported; default 3)")
    p.add_argument("--epochs", type=int, default=10, help="epochs per training run (default 10, the syllabus value)")
    p.add_argument("--threads", type=int, default=1, help="torch threads of the main comparison (default 1, as in the Makefile)")
    p.add_argument("--no-thread-study", action="store_true", help="skip the runs with the other thread count")
    p.add_argument("--skip-notebooks", action="store_true", help="skip the notebook suite (the slowest part)")
    p.add_argument("--only", default="loader,train,floor,imports,notebooks",
                   help="comma-separated sections to run (default: all): loader, train, floor, imports, notebooks")
    p.add_argument("--suite-jobs", default="2,1", help="notebook workers to time, comma-separated (1 = serial; default 2,1)")
    p.add_argument("--quick", action="store_true", help="1 repeat, 2 epochs, no suite, no RESULTS.md: a smoke test")
    p.add_argument("--out", type=Path, default=None, help=f"markdown report (default {RESULTS.relative_to(ROOT)}, none with --quick)")
    args = p.parse_args(argv)
    if args.quick:
        args.repeats, args.epochs, args.skip_notebooks = 1, 2, True
    out = args.out if args.out is not None else (None if args.quick else RESULTS)
    sections = {x.strip() for x in args.only.split(",") if x.strip()}
    unknown = sections - {"loader", "train", "floor", "imports", "notebooks"}
    if unknown:
        p.error(f"unknown section(s) in --only: {sorted(unknown)}")
    if args.skip_notebooks:
        sections.discard("notebooks")
    if args.repeats < 1 or args.epochs < 1 or args.threads < 1:
        p.error("--repeats, --epochs and --threads must be positive")
    other_threads = 2 if args.threads == 1 else 1
    thread_set = [args.threads] if args.no_thread_study else [args.threads, other_threads]

    started = dt.datetime.now(dt.timezone.utc)
    load_before = os.getloadavg()
    t_run = time.perf_counter()
    log(f"load average {load_before[0]:.2f} on {os.cpu_count()} cores; threads {thread_set}; "
        f"{args.repeats} repeats of {args.epochs} epochs")

    d2l, stubbed = import_d2l()
    root = d2l_data_root()
    R: dict[str, Any] = {"loader": {}, "train": {}, "floor": {}, "imports": {}, "imports_cpu": {}, "suite": []}
    build = (float("nan"), float("nan"))
    try:
        bench = Contenders(d2l, root) if sections & {"loader", "train"} else None
        build = (bench.cu_build_s, bench.d2l_build_s) if bench else build

        # 1-3 (+ thread study): every contender once per round, order reversed every other round.
        jobs: list[tuple[str, ...]] = [("loader", "course_utils"), ("loader", "d2l")] if "loader" in sections else []
        for kind in ("softmax", "mlp") if "train" in sections else ():
            for threads in thread_set:
                jobs.append(("train", kind, "course_utils", str(threads)))
                if threads == args.threads or kind == "softmax":  # d2l's MLP only at the main setting
                    jobs.append(("train", kind, "d2l", str(threads)))
        for rep in range(args.repeats):
            for job in jobs if rep % 2 == 0 else jobs[::-1]:
                if job[0] == "loader":
                    with num_threads(args.threads):
                        s = bench.loader_pass(job[1])
                    R["loader"].setdefault(job[1], []).append(s)
                    log(f"round {rep + 1}: loader pass {job[1]:12s} {s:.3f} s")
                else:
                    _, kind, who, threads = job
                    with num_threads(int(threads)):
                        r = bench.train(who, kind, args.epochs, seed=rep)
                    R["train"].setdefault((kind, who, int(threads)), []).append(r)
                    log(f"round {rep + 1}: {kind:7s} {who:12s} {threads} thread(s) {r['epoch_s']:.3f} s/epoch, "
                        f"test acc {r['test_acc']:.4f} {r['note']}")

        # 4. matmul rate and floor per epoch
        for threads in thread_set if "floor" in sections else ():
            R["floor"][("square", threads)] = square_matmul_rate(threads)
            for kind in ("softmax", "mlp"):
                R["floor"][(kind, threads)] = matmul_floor(kind, threads)
            log(f"matmul, {threads} thread(s): 1024^3 {R['floor'][('square', threads)]:.0f} GFLOP/s; "
                f"MLP floor {R['floor'][('mlp', threads)]['floor_s']:.3f} s/epoch")

        # 5. imports, in fresh processes, interleaved (one untimed warm-up each for the file cache)
        for code in IMPORTS.values() if "imports" in sections else ():
            time_import(code)
        for rep in range(max(args.repeats, 5) if "imports" in sections else 0):
            for name, code in IMPORTS.items():
                wall, cpu = time_import(code)
                R["imports"].setdefault(name, []).append(wall)
                R["imports_cpu"].setdefault(name, []).append(cpu)
        if R["imports"]:
            log("imports: " + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in R["imports"].items()))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    # 6. the notebook suite
    if "notebooks" in sections:
        n_nb = len([q for q in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts])
        for jobs_n in [int(j) for j in args.suite_jobs.split(",") if j.strip()]:
            log(f"notebook suite over {n_nb} notebooks with {'-n %d' % jobs_n if jobs_n > 1 else 'no workers (serial)'} ...")
            res = run_notebook_suite(jobs_n)
            R["suite"].append(res)
            log(f"  {res['wall_s']:.1f} s: {res['summary']}")

    load_after = os.getloadavg()
    meta = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"), "machine": machine_info(), "versions": versions(),
        "load": (load_before, load_after), "stubbed_pandas": stubbed, "args": vars(args),
        "total_s": time.perf_counter() - t_run, "build": build, "sections": sections,
    }
    report, ratio_lines = render(R, meta, args)
    if out is not None:
        out.write_text(report)
        log(f"wrote {out}")
    print("\n" + "\n".join(ratio_lines))
    return 0


# --------------------------------------------------------------------------- report


def render(R: dict[str, Any], meta: dict[str, Any], args: argparse.Namespace) -> tuple[str, list[str]]:
    T, E = args.threads, args.epochs
    L: list[str] = []
    m, v = meta["machine"], meta["versions"]
    (l0, l1) = meta["load"]
    busy = max(l0[0], l1[0]) > 0.5 * (os.cpu_count() or 1)
    L += ["# Benchmarks: course_utils against d2l 0.17.6", "",
          "Written by `.venv/bin/python benchmarks/bench.py` (issue 6); re-run the script rather than editing this file.", "",
          f"* **Date:** {meta['date']}; the whole run took {meta['total_s'] / 60:.1f} min.",
          f"* **Machine:** {m['cpu']}, {m['cores']} cores, {m['memory']} RAM, {m['os']}.",
          f"* **Load average** (1 min) at start / end: {l0[0]:.2f} / {l1[0]:.2f} on {m['cores']} cores"
          + (" **(the machine was busy: these timings are noisy; re-run on a quiet machine)**" if busy else "") + ".",
          "* **Versions:** " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
          f"* **Settings:** {args.repeats} interleaved repeats of each contender (min, median and max shown), "
          f"{E} epochs per training run, batch size {BATCH_SIZE}, {T} torch thread(s) in the main process "
          f"unless stated; subprocesses and notebook kernels run with {', '.join(f'{k}={val}' for k, val in COURSE_ENV.items())}. "
          f"Sections run: {', '.join(sorted(meta['sections']))}.",
          "* **Contenders.** d2l: `load_data_fashion_mnist` (torchvision `FashionMNIST`, `ToTensor`, `DataLoader` "
          "with 4 workers) and `train_ch3` with its pyplot `Animator` (display output discarded). course_utils: "
          "`load_data_fashion_mnist` (in-memory `TensorLoader`) and `train_ch3` with its default `animate=True` "
          "(outside Jupyter it only updates the figure)."
          + (" pandas is not installed: a placeholder module stood in for it while d2l was imported "
             "(d2l never uses it in chapters 3-4; the d2l import time below excludes pandas)." if meta["stubbed_pandas"] else ""),
          ""]

    def row(name: str, xs: list[float], extra: str = "") -> str:
        s = stats(xs)
        return f"| {name} | {fmt_s(s['min'])} | {fmt_s(s['median'])} | {fmt_s(s['max'])} | {extra} |"

    lo = R["loader"]
    if lo:
        L += ["## 1. One pass over the training iterator (60,000 images, batch 256)", "",
              "| loader | min (s) | median (s) | max (s) | note |", "| --- | ---: | ---: | ---: | --- |",
              row("course_utils.load_data_fashion_mnist(256)", lo["course_utils"], f"built once in {meta['build'][0]:.2f} s (decode + SHA-256 check)"),
              row("d2l.load_data_fashion_mnist(256)", lo["d2l"], f"built once in {meta['build'][1]:.2f} s; its 4 worker processes start at every pass"), ""]

    def train_section(kind: str, title: str) -> None:
        L.extend([f"## {title}", "",
                  "| contender | threads | s/epoch min | s/epoch median | s/epoch max | final train loss | train acc | test acc |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"])
        for (k, who, th), runs in sorted(R["train"].items(), key=lambda kv: (kv[0][2] != T, kv[0][1] != "course_utils", kv[0][2])):
            if k != kind:
                continue
            s = stats([r["epoch_s"] for r in runs])
            med = {key: statistics.median([r[key] for r in runs]) for key in ("train_loss", "train_acc", "test_acc")}
            L.append(f"| {who}.train_ch3 | {th} | {s['min']:.3f} | {s['median']:.3f} | {s['max']:.3f} | "
                     f"{med['train_loss']:.4f} | {med['train_acc']:.4f} | {med['test_acc']:.4f} |")
        d2l_runs = [r for (k, who, _), runs in R["train"].items() if k == kind and who == "d2l" for r in runs]
        failed = sum(1 for r in d2l_runs if r["note"])
        note = (f" d2l's `train_ch3` raised its built-in `assert train_loss < 0.5` in {failed} of {len(d2l_runs)} runs "
                f"(the metrics were recorded before it)." if failed else "")
        L.extend(["", "Seconds per epoch include the test evaluation and the plot update; losses and accuracies "
                  f"are the medians over the repeats, after epoch {E}." + note, ""])

    if R["train"]:
        train_section("softmax", "2. Softmax regression (d2l 3.7)")
        train_section("mlp", "3. MLP 784-256-10 (d2l 4.3)")

    fl = R["floor"]
    if fl:
        L += ["## 4. Matrix-product rate and the floor per epoch", "",
              "FLOPs are counted by `torch.utils.flop_counter` over one training step and one evaluation batch, "
              "scaled to 60,000 + 10,000 images. The floor is the time the epoch's matrix products alone take: "
              "the products recorded from one step, with the same shapes and memory layouts, replayed on fresh "
              "operands (best of several); i.e. FLOPs / the rate of the model's own products. Autograd does not "
              "compute the gradient of the input images, so a training step costs 2x (not 3x) the forward "
              "products of the first layer; the last column is the issue's convention (3x forward for training "
              "+ 1x for the test set, at the 1024^3 rate) for comparison.", "",
              "| threads | 1024^3 rate (GFLOP/s) | model | GFLOP/epoch | rate of its products (GFLOP/s) | floor (s/epoch) | issue-convention floor (s/epoch) |",
              "| ---: | ---: | --- | ---: | ---: | ---: | ---: |"]
        for th in sorted({k[1] for k in fl}):
            for kind in ("softmax", "mlp"):
                f = fl[(kind, th)]
                L.append(f"| {th} | {fl[('square', th)]:.0f} | {kind} | {f['gflop']:.1f} | {f['gflops_rate']:.0f} | "
                         f"{f['floor_s']:.3f} | {f['gflop_issue'] / fl[('square', th)]:.3f} ({f['gflop_issue']:.1f} GFLOP) |")
        L.append("")

    im = R["imports"]
    if im:
        L += ["## 5. Import time (a fresh process each, wall time including interpreter start-up)", "",
              "| statement | min (s) | median (s) | max (s) | median CPU time, user + system (s) |", "| --- | ---: | ---: | ---: | --- |"]
        for name, xs in im.items():
            L.append(row(f"`{name}`", xs, f"{statistics.median(R['imports_cpu'][name]):.2f}"))
        L.append("")

    L += ["## 6. Notebook suite", ""]
    if not R["suite"]:
        L += ["Not run in this run.", ""]
    for res in R["suite"]:
        L += [f"`python {res['command']}` ({'%d workers' % res['jobs'] if res['jobs'] > 1 else 'serial'}), "
              f"as the Makefile's `notebooks` target: **{res['wall_s']:.1f} s** wall, exit code {res['returncode']} "
              f"({res['summary']}).", "",
              "| notebook | seconds (sum of its cells' setup, call and teardown) | result |", "| --- | ---: | --- |"]
        for nb, s in sorted(res["notebooks"].items()):
            L.append(f"| {nb} | {s:.1f} | {'FAILED' if nb in res['failed'] else 'passed'} |")
        L.append("")

    ratios = ratio_lines(R, meta, args)
    L += ["## Ratios and targets (issue 6), from this run", "", "```", *ratios, "```", ""]
    return "\n".join(L), ratios


def ratio_lines(R: dict[str, Any], meta: dict[str, Any], args: argparse.Namespace) -> list[str]:
    T = args.threads
    O = 2 if T == 1 else 1
    med = statistics.median
    out = []

    def check(ok: bool) -> str:
        return "MET" if ok else "MISSED"

    def epoch(kind: str, who: str, th: int) -> list[float]:
        return [x["epoch_s"] for x in R["train"].get((kind, who, th), [])]

    lo = R["loader"]
    if lo:
        r = med(lo["d2l"]) / med(lo["course_utils"])
        out.append(f"loader pass: d2l / course_utils = {r:.1f}x (median; min-based {min(lo['d2l']) / min(lo['course_utils']):.1f}x)"
                   f"  target >= {TARGET_LOADER_SPEEDUP:.0f}x  {check(r >= TARGET_LOADER_SPEEDUP)}")
    if R["train"]:
        cu_sm = epoch("softmax", "course_utils", T)
        same = med(epoch("softmax", "d2l", T)) / med(cu_sm)
        line = (f"softmax epoch, same threads ({T}): d2l / course_utils = {same:.1f}x "
                f"(median; min-based {min(epoch('softmax', 'd2l', T)) / min(cu_sm):.1f}x)")
        default = os.cpu_count() or 1
        if O == default and epoch("softmax", "d2l", O):
            shipped = med(epoch("softmax", "d2l", O)) / med(cu_sm)
            out.append(line)
            out.append(f"softmax epoch, as each is run (d2l with torch's default {O} threads, course_utils with {T}): "
                       f"d2l / course_utils = {shipped:.1f}x  target >= {TARGET_SOFTMAX_SPEEDUP:.0f}x  "
                       f"{check(shipped >= TARGET_SOFTMAX_SPEEDUP)} (same-thread ratio above: {check(same >= TARGET_SOFTMAX_SPEEDUP)})")
        else:
            out.append(f"{line}  target >= {TARGET_SOFTMAX_SPEEDUP:.0f}x  {check(same >= TARGET_SOFTMAX_SPEEDUP)}")
        mlp = epoch("mlp", "course_utils", T)
        if ("mlp", T) in R["floor"]:
            f = R["floor"][("mlp", T)]
            r = med(mlp) / f["floor_s"]
            issue_floor = f["gflop_issue"] / R["floor"][("square", T)]
            out.append(f"MLP epoch: course_utils / floor = {med(mlp):.3f} / {f['floor_s']:.3f} s = {r:.2f}x "
                       f"(min-based {min(mlp) / f['floor_s']:.2f}x; {f['gflop']:.1f} GFLOP at {f['gflops_rate']:.0f} GFLOP/s)"
                       f"  target <= {TARGET_MLP_OVER_FLOOR}x  {check(r <= TARGET_MLP_OVER_FLOOR)}")
            out.append(f"MLP epoch against the issue-convention floor ({f['gflop_issue']:.1f} GFLOP at the 1024^3 rate, "
                       f"{issue_floor:.3f} s): {med(mlp) / issue_floor:.2f}x")
        out.append(f"MLP epoch: d2l / course_utils = {med(epoch('mlp', 'd2l', T)) / med(mlp):.1f}x (median, {T} thread(s))")
        for kind in ("softmax", "mlp"):
            for key in ("test_acc", "train_acc"):
                a = med([x[key] for x in R["train"][(kind, "course_utils", T)]])
                b = med([x[key] for x in R["train"][(kind, "d2l", T)]])
                diff = 100 * (a - b)
                out.append(f"{kind} final {key.replace('_', ' ')}: course_utils {a:.4f} vs d2l {b:.4f} = {diff:+.2f} points"
                           f"  target within {TARGET_ACC_POINTS:.0f}  {check(abs(diff) <= TARGET_ACC_POINTS + 1e-9)}")
    im = R["imports"]
    if im:
        extra = med(im["import course_utils"]) - med(im["import torch"])
        cpu = R["imports_cpu"]
        extra_cpu = med(cpu["import course_utils"]) - med(cpu["import torch"])
        out.append(f"import course_utils - import torch = {extra:+.2f} s (median; course_utils {med(im['import course_utils']):.2f} s, "
                   f"torch {med(im['import torch']):.2f} s, d2l {med(im['from d2l import torch as d2l']):.2f} s; "
                   f"in CPU time {extra_cpu:+.2f} s)"
                   f"  target <= {TARGET_IMPORT_EXTRA_S:.1f} s  {check(extra <= TARGET_IMPORT_EXTRA_S)}")
    if len({k[2] for k in R["train"]}) > 1:
        for kind in ("softmax", "mlp"):
            a, b = epoch(kind, "course_utils", T), epoch(kind, "course_utils", O)
            out.append(f"threads, course_utils {kind}: {T} thread(s) median {med(a):.3f} (max {max(a):.3f}) s/epoch vs "
                       f"{O} thread(s) median {med(b):.3f} (max {max(b):.3f}): {O}/{T} = {med(b) / med(a):.2f}x")
        a, b = epoch("softmax", "d2l", T), epoch("softmax", "d2l", O)
        out.append(f"threads, d2l softmax: {T} main-process thread(s) median {med(a):.3f} s/epoch vs {O}: {med(b):.3f}: "
                   f"{O}/{T} = {med(b) / med(a):.2f}x")
    for res in R["suite"]:
        label = f"-n {res['jobs']} --dist loadfile" if res["jobs"] > 1 else "serial"
        ok = res["wall_s"] < TARGET_SUITE_S and res["returncode"] == 0
        out.append(f"notebook suite ({label}, {len(res['notebooks'])} notebooks): {res['wall_s']:.1f} s, exit code {res['returncode']}"
                   f"  target < {TARGET_SUITE_S:.0f} s and green  {check(ok)}")
    if not R["suite"]:
        out.append("notebook suite: not run")
    if max(meta["load"][0][0], meta["load"][1][0]) > 0.5 * (os.cpu_count() or 1):
        out.append(f"WARNING: load average {meta['load'][0][0]:.2f} -> {meta['load'][1][0]:.2f} on {os.cpu_count()} cores: "
                   "the machine was busy, timings are noisy; re-run on a quiet machine.")
    return out


if __name__ == "__main__":
    sys.exit(main())
