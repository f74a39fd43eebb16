"""Timing and device helpers.

* :class:`Timer`: section 1.1 (first used to time back-propagation against
  finite differences).
* :func:`try_gpu`, :func:`try_all_gpus`: not used by the course's sections,
  which run on the CPU; kept so that d2l code runs (d2l 0.17 introduces them
  in its section 5.6, GPUs).
"""

from __future__ import annotations

import time

import numpy as np
import torch

from . import _checks

__all__ = ["Timer", "try_all_gpus", "try_gpu"]


class Timer:
    """Record several running times. Introduced in section 1.1.

    >>> timer = Timer(); elapsed = timer.stop(); len(timer.times)
    1
    """

    def __init__(self) -> None:
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        """Start the timer."""
        self.tik = time.perf_counter()

    def stop(self) -> float:
        """Stop the timer, record the time since :meth:`start` and return it (seconds)."""
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        """Average of the recorded times."""
        if not self.times:
            raise ValueError("no time recorded yet: call stop() first.")
        return sum(self.times) / len(self.times)

    def sum(self) -> float:
        """Sum of the recorded times."""
        return sum(self.times)

    def cumsum(self) -> list[float]:
        """Running sums of the recorded times."""
        return np.array(self.times).cumsum().tolist()


def try_gpu(i: int = 0) -> torch.device:
    """Return ``cuda:i`` if that GPU exists, otherwise the CPU.

    Kept for d2l code (d2l 0.17's section 5.6); the course's sections do not use it.

    >>> try_gpu(99).type in {"cpu", "cuda"}
    True
    """
    i = _checks.integer("try_gpu", "i", i, minimum=0)
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


def try_all_gpus() -> list[torch.device]:
    """Return all GPUs, or ``[cpu]`` when there is none.

    Kept for d2l code (d2l 0.17's section 5.6); the course's sections do not use it.

    >>> try_all_gpus()[0].type in {"cpu", "cuda"}
    True
    """
    devices = [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]
    return devices if devices else [torch.device("cpu")]
