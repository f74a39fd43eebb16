"""Watching a network while it trains: per-layer gradient norms and activation statistics.

:class:`TrainingRecorder` attaches hooks to a model, so it works with any
training loop that calls the model and ``backward()`` — ``train_ch3``, the
``Runner`` or a loop of your own — without changing the loop.  Every
``every``-th training step it records, for each ``nn.Linear`` layer, the norm
of its weight's gradient and, for each activation module, statistics of its
output: mean, standard deviation, the fraction of *saturated* outputs (within
``saturation`` of the activation's bounds, e.g. sigmoid outputs near 0 or 1)
and the fraction of *dead* units (units whose output is 0 for every example of
the batch).  Evaluation passes (``model.eval()``) are not recorded.
Introduced in section 4.5 (Optimisation problems in real training).
"""

from __future__ import annotations

import numbers
from typing import Any

import torch
from torch import nn

__all__ = ["TrainingRecorder"]

#: Activation modules recorded by default, with the bounds of their outputs (None: unbounded).
ACTIVATIONS: dict[type, tuple[float | None, float | None]] = {
    nn.Sigmoid: (0.0, 1.0),
    nn.Tanh: (-1.0, 1.0),
    nn.ReLU: (0.0, None),
    nn.LeakyReLU: (None, None),
    nn.ELU: (-1.0, None),
    nn.GELU: (None, None),
}


class TrainingRecorder:
    """Record per-layer gradient norms and activation statistics every ``every`` training steps.

    A training step is one forward pass of ``model`` in training mode (and the
    ``backward()`` that follows it).  After training, ``steps`` lists the
    recorded step numbers (1, 1 + every, 1 + 2 * every, ...), and for each
    layer name (the names of ``model.named_modules()``):

    * ``grad_norm[name]``: norm of the gradient of that ``nn.Linear``'s weight;
    * ``act_mean[name]``, ``act_std[name]``: mean and standard deviation of the
      activation module's output over the batch;
    * ``saturated[name]``: fraction of outputs within ``saturation`` of a bound
      of the activation (sigmoid: below 0.01 or above 0.99);
    * ``dead[name]``: fraction of units whose output is exactly 0 for every
      example of the batch (for ReLU: units that pass no gradient at all).

    Use it as a context manager, or call :meth:`remove` to detach the hooks.
    Introduced in section 4.5.

    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> opt = torch.optim.SGD(net.parameters(), lr=0.1)
    >>> with TrainingRecorder(net, every=2) as rec:
    ...     for _ in range(5):
    ...         opt.zero_grad(); net(torch.randn(16, 4)).sum().backward(); opt.step()
    >>> rec.steps, list(rec.grad_norm), list(rec.dead)
    ([1, 3, 5], ['0', '2'], ['1'])
    """

    def __init__(self, model: nn.Module, every: int = 10, saturation: float = 0.01) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"TrainingRecorder(): model must be an nn.Module, got {type(model).__name__}.")
        if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every <= 0:
            raise ValueError(f"TrainingRecorder(): every must be a positive int (record every n-th step), got {every!r}.")
        if not isinstance(saturation, numbers.Real) or not 0 <= saturation < 0.5:
            raise ValueError(f"TrainingRecorder(): saturation must be a number in [0, 0.5), got {saturation!r}.")
        self.model = model
        self.every = int(every)
        self.saturation = float(saturation)
        self.step = 0
        self.steps: list[int] = []
        self.grad_norm: dict[str, list[float]] = {}
        self.act_mean: dict[str, list[float]] = {}
        self.act_std: dict[str, list[float]] = {}
        self.saturated: dict[str, list[float]] = {}
        self.dead: dict[str, list[float]] = {}
        self._handles: list[Any] = []
        linears = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Linear)]
        activations = [(name, m) for name, m in model.named_modules() if type(m) in ACTIVATIONS]
        if not linears and not activations:
            raise ValueError(
                "TrainingRecorder(): the model has no nn.Linear layer and no activation module to record "
                f"(activation modules: {', '.join(t.__name__ for t in ACTIVATIONS)}); torch.sigmoid or F.relu "
                "calls inside forward() cannot be seen by hooks: use the modules."
            )
        self._handles.append(model.register_forward_pre_hook(self._count_step))
        for name, m in linears:
            self.grad_norm[name] = []
            self._handles.append(m.weight.register_hook(self._grad_hook(name)))
        for name, m in activations:
            for store in (self.act_mean, self.act_std, self.saturated, self.dead):
                store[name] = []
            self._handles.append(m.register_forward_hook(self._act_hook(name, ACTIVATIONS[type(m)])))

    # Hooks -----------------------------------------------------------------
    def _recording(self) -> bool:
        return self.model.training and (self.step - 1) % self.every == 0

    def _count_step(self, module: nn.Module, args: Any) -> None:
        if module.training:
            self.step += 1
            if self._recording():
                self.steps.append(self.step)

    def _grad_hook(self, name: str) -> Any:
        def hook(grad: torch.Tensor) -> None:
            if self._recording() and len(self.grad_norm[name]) < len(self.steps):
                self.grad_norm[name].append(float(grad.detach().norm()))

        return hook

    def _act_hook(self, name: str, bounds: tuple[float | None, float | None]) -> Any:
        def hook(module: nn.Module, args: Any, out: torch.Tensor) -> None:
            if not self._recording() or len(self.act_mean[name]) >= len(self.steps):
                return
            a = out.detach().reshape(out.shape[0], -1).float()
            self.act_mean[name].append(float(a.mean()))
            self.act_std[name].append(float(a.std()) if a.numel() > 1 else 0.0)
            near = torch.zeros_like(a, dtype=torch.bool)
            low, high = bounds
            if low is not None:
                near |= a <= low + self.saturation
            if high is not None:
                near |= a >= high - self.saturation
            self.saturated[name].append(float(near.float().mean()))
            self.dead[name].append(float((a == 0).all(dim=0).float().mean()))

        return hook

    # Public ----------------------------------------------------------------
    def remove(self) -> None:
        """Detach every hook from the model (the records stay)."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def __enter__(self) -> "TrainingRecorder":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()

    def __repr__(self) -> str:
        return (f"TrainingRecorder(every={self.every}, {len(self.steps)} records, "
                f"{len(self.grad_norm)} linear layers, {len(self.act_mean)} activations)")
