"""Timing and device helpers.

* :class:`Timer`: section 1.2.
* :func:`try_gpu`, :func:`try_all_gpus`: section 2.2 (d2l introduces them in
  its chapter on GPUs; the course uses them to pick a device).
"""

from __future__ import annotations

import time

import numpy as np
import torch

__all__ = ["Timer", "try_all_gpus", "try_gpu"]


class Timer:
    """Record several running times. Section 1.2.

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

    >>> try_gpu(99).type in {"cpu", "cuda"}
    True
    """
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


def try_all_gpus() -> list[torch.device]:
    """Return all GPUs, or ``[cpu]`` when there is none."""
    devices = [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]
    return devices if devices else [torch.device("cpu")]
