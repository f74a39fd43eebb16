"""Timing and device helpers.

* :class:`Timer`: section 1.1 (first used to time back-propagation against
  finite differences).
* :func:`try_gpu`, :func:`try_all_gpus`: not used by the course's sections,
  which run on the CPU; kept so that d2l code runs (d2l 0.17 introduces them
  in its section 5.6, GPUs).  Unlike d2l's, they also find Apple's ``mps``
  device, so the same code uses the GPU of a recent Mac.
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


def _mps_available() -> bool:
    """Whether Apple's Metal GPU (the ``mps`` device of Apple-silicon Macs) can be used."""
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def try_gpu(i: int = 0) -> torch.device:
    """Return GPU ``i`` if it exists, otherwise the CPU.

    GPU ``i`` is ``cuda:i`` on a machine with NVIDIA GPUs; on an Apple-silicon
    Mac it is Apple's ``mps`` device, which is one GPU, so only ``i = 0``
    finds it (d2l's helper looks for CUDA only).  Kept for d2l code (d2l 0.17's
    section 5.6); the course's sections run on the CPU.

    >>> try_gpu(99).type in {"cpu", "cuda"}
    True
    """
    i = _checks.integer("try_gpu", "i", i, minimum=0)
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    if torch.cuda.device_count() == 0 and i == 0 and _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def try_all_gpus() -> list[torch.device]:
    """Return all GPUs (every ``cuda`` device, or Apple's ``mps``), or ``[cpu]`` when there is none.

    Kept for d2l code (d2l 0.17's section 5.6); the course's sections run on the CPU.

    >>> try_all_gpus()[0].type in {"cpu", "cuda", "mps"}
    True
    """
    devices = [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]
    if not devices and _mps_available():
        devices = [torch.device("mps")]
    return devices if devices else [torch.device("cpu")]
