"""Models, losses, optimisers and training loops of chapters 1 to 3.

* :func:`linreg`, :func:`squared_loss`, :func:`sgd`: section 1.2.
* :func:`accuracy`, :func:`evaluate_accuracy`, :class:`Accumulator`,
  :func:`train_epoch_ch3`, :func:`train_ch3`: section 2.2.
* :func:`evaluate_loss`: section 3.3.
* :func:`binary_accuracy`: section 3.4.
* :func:`grad_norms`: section 3.5 (explained in section 4.2).

Names, arguments and results follow the d2l package (0.17, chapters 3-4), so
code written for the book runs with ``import course_utils as d2l``.  Where this
module departs from d2l, the docstring says so.

**One epoch core, one rule each.**  :func:`train_epoch_ch3`,
:func:`evaluate_accuracy`, :func:`evaluate_loss` and the
:class:`~course_utils.runner.Runner` all go through :func:`run_epoch`:

* *Loss*: a loss function returns one loss per example (``reduction='none'``,
  as d2l's ``train_ch3`` expects) **or** the batch mean (an ``nn`` loss with
  ``reduction='mean'``, as the Runner's examples use).  Both are averaged
  correctly; a summed loss (``reduction='sum'``) or a plain function that
  returns a single number is refused with a message, because a sum cannot be
  told from a mean.
* *Metric*: a metric returns the fraction of correct predictions of a batch
  (like :func:`binary_accuracy`), except d2l's :func:`accuracy`, which returns
  a count (d2l code relies on that) and is recognised as such.  A metric that
  returns a value outside ``[0, 1]`` is refused.
* *Mode*: training puts a module in training mode; evaluation puts it in
  evaluation mode and afterwards restores the mode it had.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence, Union

import torch
from torch import nn

from . import _checks

__all__ = [
    "Accumulator",
    "accuracy",
    "binary_accuracy",
    "evaluate_accuracy",
    "evaluate_loss",
    "grad_norms",
    "linreg",
    "run_epoch",
    "sgd",
    "squared_loss",
    "train_ch3",
    "train_epoch_ch3",
]

Net = Union[nn.Module, Callable[[torch.Tensor], torch.Tensor]]
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Metric = Callable[[torch.Tensor, torch.Tensor], float]
Updater = Union[torch.optim.Optimizer, Callable[[int], None]]
Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The linear regression model ``Xw + b``. Introduced in section 1.2.

    >>> linreg(torch.ones(3, 2), torch.ones(2, 1), torch.zeros(1)).shape
    torch.Size([3, 1])
    """
    for name, t in (("X", X), ("w", w), ("b", b)):
        if not isinstance(t, torch.Tensor):
            raise _checks.fail("linreg", name, "a tensor", t, error=TypeError)
    if X.ndim != 2 or X.shape[1] != w.shape[0]:
        raise ValueError(
            f"linreg(): X of shape {tuple(X.shape)} cannot be multiplied by w of shape {tuple(w.shape)}; "
            "X needs one row per example and as many columns as w has rows."
        )
    return torch.matmul(X, w) + b


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-example squared loss ``(y_hat - y)^2 / 2``. Introduced in section 1.2.

    ``y`` is reshaped to ``y_hat``'s shape, as in d2l.

    >>> squared_loss(torch.tensor([[1.0], [3.0]]), torch.tensor([0.0, 1.0]))
    tensor([[0.5000],
            [2.0000]])
    """
    for name, t in (("y_hat", y_hat), ("y", y)):
        if not isinstance(t, torch.Tensor):
            raise _checks.fail("squared_loss", name, "a tensor", t, error=TypeError)
    if y_hat.numel() != y.numel():
        raise ValueError(
            f"squared_loss(): y_hat and y must hold the same number of values, "
            f"got shapes {tuple(y_hat.shape)} and {tuple(y.shape)}."
        )
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params: Sequence[torch.Tensor], lr: float, batch_size: int) -> None:
    """Minibatch stochastic gradient descent, in place. Introduced in section 1.2.

    Each parameter moves by ``-lr * grad / batch_size`` (the loss is assumed to
    be *summed* over the minibatch, as in d2l); its gradient is then zeroed.

    >>> w = torch.ones(2, requires_grad=True); (w * 3).sum().backward()
    >>> sgd([w], lr=0.1, batch_size=1); w.detach()
    tensor([0.7000, 0.7000])
    """
    if isinstance(params, torch.Tensor) or not isinstance(params, (list, tuple)):
        raise _checks.fail("sgd", "params", "a list of tensors", params, "Write sgd([w, b], lr, batch_size).",
                           TypeError)
    _checks.number("sgd", "lr", lr, low=0.0)
    _checks.positive_int("sgd", "batch_size", batch_size)
    with torch.no_grad():
        for i, param in enumerate(params):
            if not isinstance(param, torch.Tensor):
                raise _checks.fail("sgd", f"params[{i}]", "a tensor", param, error=TypeError)
            if param.grad is None:
                raise ValueError(
                    f"sgd(): params[{i}] has no gradient: create it with requires_grad=True and call "
                    "backward() on the loss before sgd()."
                )
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def _labels(func: str, y_hat: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted and true labels, both flat, from class scores or labels."""
    for name, t in (("y_hat", y_hat), ("y", y)):
        if not isinstance(t, torch.Tensor):
            raise _checks.fail(func, name, "a tensor", t, error=TypeError)
    if y_hat.ndim > 1 and y_hat.shape[1] > 1:
        pred = y_hat.argmax(dim=1)
    else:
        pred = y_hat.reshape(-1)
        if pred.is_floating_point() and not bool((pred == pred.round()).all()):
            raise ValueError(
                f"{func}(): y_hat of shape {tuple(y_hat.shape)} holds one non-integer score per example, not "
                "class labels or a row of class scores; for probabilities of a binary classifier use "
                "binary_accuracy(y_hat, y)."
            )
    true = y.reshape(-1)
    if pred.shape[0] != true.shape[0]:
        raise ValueError(
            f"{func}(): predictions and labels disagree in number: y_hat has {pred.shape[0]} rows, "
            f"y has {true.shape[0]} labels."
        )
    return pred, true


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Number of correct predictions (a count, not a fraction, as in d2l).

    ``y_hat`` holds one row of class scores per example (the predicted class is
    the arg-max) or already the predicted labels.  Introduced in section 2.2.

    >>> accuracy(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1]))
    1.0
    """
    pred, true = _labels("accuracy", y_hat, y)
    cmp = pred.type(true.dtype) == true
    return float(cmp.sum())


accuracy.returns_count = True  # type: ignore[attr-defined]  # how run_epoch tells it from a fraction


def binary_accuracy(y_hat: torch.Tensor, y: torch.Tensor, threshold: float = 0.5) -> float:
    """Fraction of examples whose score ``y_hat`` falls on the side of ``threshold`` of ``y``.

    ``y_hat`` holds one score per example, usually a probability (a sigmoid
    output), and ``y`` the 0/1 labels, with the same number of elements.
    Introduced in section 3.4.

    >>> round(binary_accuracy(torch.tensor([[0.9], [0.2], [0.6]]), torch.tensor([[1.0], [0.0], [0.0]])), 4)
    0.6667
    """
    for name, t in (("y_hat", y_hat), ("y", y)):
        if not isinstance(t, torch.Tensor):
            raise _checks.fail("binary_accuracy", name, "a tensor", t, error=TypeError)
    threshold = _checks.number("binary_accuracy", "threshold", threshold)
    if y_hat.numel() != y.numel():
        raise ValueError(
            f"binary_accuracy(): y_hat and y must hold one value per example, "
            f"got shapes {tuple(y_hat.shape)} and {tuple(y.shape)}."
        )
    _checks.nonempty("binary_accuracy", "y", y)
    _checks.finite("binary_accuracy", "y_hat", y_hat.detach())
    if not bool(((y == 0) | (y == 1)).all()):
        raise ValueError("binary_accuracy(): y must hold the labels 0 and 1 only; for classes 0..C-1 use accuracy().")
    pred = (y_hat.reshape(-1) >= threshold).to(y.dtype)
    return float((pred == y.reshape(-1)).float().mean())


class Accumulator:
    """Sums ``n`` running totals. Introduced in section 2.2.

    >>> metric = Accumulator(2); metric.add(1, 2.5); metric.add(1, 0.5); metric[1]
    3.0
    """

    def __init__(self, n: int) -> None:
        self.data = [0.0] * _checks.positive_int("Accumulator", "n", n)

    def add(self, *args: float) -> None:
        """Add one value to each total."""
        if len(args) != len(self.data):
            raise ValueError(f"Accumulator.add(): takes {len(self.data)} values, got {len(args)}.")
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self) -> None:
        """Set every total back to 0."""
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        return self.data[idx]


def _device_of(net: Net) -> torch.device:
    if isinstance(net, nn.Module):
        param = next(net.parameters(), None)
        if param is not None:
            return param.device
    return torch.device("cpu")


@dataclass
class _BatchLoss:
    """The loss of one batch: its mean (for an optimizer) and how to get its sum."""

    mean: torch.Tensor
    per_example: torch.Tensor | None
    n: int

    def summed(self) -> torch.Tensor:
        """The summed loss, for d2l's updaters that divide by the batch size."""
        return self.per_example.sum() if self.per_example is not None else self.mean * self.n

    def total(self) -> float:
        """The sum of the losses of the batch, as a float (for running averages)."""
        if self.per_example is not None:
            return float(self.per_example.detach().sum())
        return float(self.mean.detach()) * self.n

    def count(self) -> int:
        return self.per_example.numel() if self.per_example is not None else self.n


def _batch_loss(func: str, loss: Loss, y_hat: torch.Tensor, y: torch.Tensor) -> _BatchLoss:
    """Apply the loss rule of the module docstring to one batch."""
    if y_hat.ndim == 0 or y_hat.shape[0] != y.shape[0]:
        raise ValueError(
            f"{func}(): the network returned shape {tuple(y_hat.shape)} for a batch of {y.shape[0]} examples; "
            "it must return one row of outputs per example."
        )
    l = loss(y_hat, y)
    if not isinstance(l, torch.Tensor):
        raise TypeError(f"{func}(): the loss must return a tensor, got {type(l).__name__}.")
    n = y.shape[0]
    if l.ndim > 0 and l.shape[0] == n:
        return _BatchLoss(l.mean(), l, n)
    if l.numel() == 1:
        reduction = getattr(loss, "reduction", None)
        if reduction == "mean":
            return _BatchLoss(l.reshape(()), None, n)
        if reduction == "sum":
            raise ValueError(
                f"{func}(): the loss sums over the batch (reduction='sum'); create it with reduction='none' "
                "(one loss per example) or reduction='mean'."
            )
        raise ValueError(
            f"{func}(): the loss returned a single number, and {func} cannot tell a mean from a sum. "
            "Return one loss per example (e.g. nn.CrossEntropyLoss(reduction='none')), or use an nn loss "
            "with reduction='mean'."
        )
    raise ValueError(
        f"{func}(): the loss returned shape {tuple(l.shape)} for a batch of {n} examples; "
        "it must return one loss per example or the mean."
    )


def _batch_correct(func: str, metric: Metric, y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Apply the metric rule of the module docstring: the number of correct predictions of a batch."""
    value = metric(y_hat, y)
    if getattr(metric, "returns_count", False):
        return float(value)
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{func}(): the metric must return a number, got {type(value).__name__}.") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(
            f"{func}(): the metric returned {value:g} for a batch of {y.shape[0]} examples; a metric must return "
            "the fraction of correct predictions, in [0, 1] (d2l.accuracy, which counts, is recognised). "
            "Divide a count by the batch size: lambda y_hat, y: my_count(y_hat, y) / len(y)."
        )
    return value * y.shape[0]


@dataclass
class EpochResult:
    """What :func:`run_epoch` measured: mean loss and score per example, and the example count."""

    loss: float
    score: float
    n: int


def run_epoch(
    net: Net,
    data: Any,
    loss: Loss | None = None,
    metric: Metric | None = None,
    updater: Updater | None = None,
    device: torch.device | str | None = None,
    func: str = "run_epoch",
) -> EpochResult:
    """One pass over ``data``: train with ``updater``, or evaluate when it is ``None``.

    The core of :func:`train_epoch_ch3`, :func:`evaluate_accuracy`,
    :func:`evaluate_loss` and the Runner, with the loss, metric and mode rules
    of this module's docstring.  ``data`` is an ``(X, y)`` pair (one batch) or
    an iterable of batches.  With a torch optimizer the step follows the
    gradient of the batch's *mean* loss; with a function ``updater(batch_size)``
    (d2l's ``sgd``) the gradient is that of the *summed* loss, as in d2l.
    Returns the mean loss per example (``nan`` without ``loss``) and the
    fraction correct (``nan`` without ``metric``).  Introduced in section 2.2.

    >>> net = nn.Linear(2, 2); X, y = torch.randn(8, 2), torch.randint(0, 2, (8,))
    >>> r = run_epoch(net, (X, y), nn.CrossEntropyLoss(), accuracy)
    >>> r.n, 0.0 <= r.score <= 1.0, net.training
    (8, True, True)
    """
    if updater is not None and not isinstance(updater, torch.optim.Optimizer) and not callable(updater):
        raise _checks.fail(func, "updater", "a torch optimizer or a function of the batch size", updater,
                           error=TypeError)
    if updater is not None and loss is None:
        raise ValueError(f"{func}(): training needs a loss.")
    batches = _checks.batches(func, "data", data)
    device = torch.device(device) if device is not None else _device_of(net)
    module = net if isinstance(net, nn.Module) else None
    was_training = module.training if module is not None else False
    if module is not None:
        module.train(updater is not None)
    total_loss, total_correct, n_loss, n_examples = 0.0, 0.0, 0, 0
    try:
        with torch.set_grad_enabled(updater is not None):
            for X, y in batches:
                X, y = _checks.batch(func, X, y)
                X, y = X.to(device), y.to(device)
                y_hat = net(X)
                if loss is not None:
                    target = y
                    if updater is None and y.numel() == y_hat.numel() and y.shape != y_hat.shape:
                        target = y.reshape(y_hat.shape)  # regression targets take the output's shape, as in d2l
                    bl = _batch_loss(func, loss, y_hat, target)
                    if isinstance(updater, torch.optim.Optimizer):
                        updater.zero_grad()
                        bl.mean.backward()
                        updater.step()
                    elif updater is not None:
                        bl.summed().backward()
                        updater(X.shape[0])
                    total_loss += bl.total()
                    # Averages per example as d2l does: per target value when training, per loss value
                    # when evaluating (the same thing unless a loss returns several values per example).
                    if bl.per_example is None:
                        n_loss += bl.n
                    else:
                        n_loss += bl.count() if updater is None else y.numel()
                if metric is not None:
                    total_correct += _batch_correct(func, metric, y_hat.detach(), y)
                n_examples += y.shape[0]
    finally:
        if module is not None and updater is None:
            module.train(was_training)
    if n_examples == 0:
        raise ValueError(f"{func}(): the data yielded no examples.")
    return EpochResult(
        total_loss / n_loss if loss is not None else math.nan,
        total_correct / n_examples if metric is not None else math.nan,
        n_examples,
    )


def evaluate_accuracy(net: Net, data_iter: Batches, device: torch.device | str | None = None) -> float:
    """Fraction of correctly classified examples of ``data_iter``. Introduced in section 2.2.

    A module is evaluated in evaluation mode, without gradients, and is left in
    the mode it had before.

    >>> net = nn.Linear(4, 3); X, y = torch.randn(8, 4), torch.zeros(8, dtype=torch.long)
    >>> acc = evaluate_accuracy(net, [(X, y)]); acc == accuracy(net(X), y) / 8, net.training
    (True, True)
    """
    return run_epoch(net, data_iter, metric=accuracy, device=device, func="evaluate_accuracy").score


def evaluate_loss(net: Net, data_iter: Batches, loss: Loss, device: torch.device | str | None = None) -> float:
    """Average per-example loss of ``net`` over ``data_iter``. Introduced in section 3.3.

    ``loss`` returns one loss per example (``reduction='none'``, as in d2l) or
    is an ``nn`` loss with ``reduction='mean'``; see the module docstring.
    Regression targets are reshaped to the output's shape, as in d2l.

    >>> net = nn.Linear(2, 1); X, y = torch.randn(6, 2), torch.randn(6)
    >>> a = evaluate_loss(net, [(X, y)], nn.MSELoss(reduction='none'))
    >>> b = evaluate_loss(net, [(X, y)], nn.MSELoss())
    >>> abs(a - b) < 1e-6
    True
    """
    if not callable(loss):
        raise _checks.fail("evaluate_loss", "loss", "a loss function", loss, error=TypeError)
    return run_epoch(net, data_iter, loss=loss, device=device, func="evaluate_loss").loss


def train_epoch_ch3(
    net: Net, train_iter: Batches, loss: Loss, updater: Updater, device: torch.device | str | None = None
) -> tuple[float, float]:
    """Train for one epoch; return ``(average train loss, train accuracy)``.

    With a torch optimizer the gradient is that of the *mean* loss; with a custom
    updater ``updater(batch_size)`` it is that of the *summed* loss, exactly as
    in d2l.  The accuracy is a running value while the weights change, as in
    d2l; for regression targets (floating-point ``y``) it is ``nan``.
    Introduced in section 2.2.

    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3)); X, y = torch.randn(32, 1, 2, 2), torch.randint(0, 3, (32,))
    >>> loss, acc = train_epoch_ch3(net, [(X, y)], nn.CrossEntropyLoss(reduction='none'),
    ...                             torch.optim.SGD(net.parameters(), lr=0.1))
    >>> loss > 0, 0.0 <= acc <= 1.0
    (True, True)
    """
    if updater is None:
        raise _checks.fail("train_epoch_ch3", "updater", "a torch optimizer or a function of the batch size",
                           updater, error=TypeError)
    if not callable(loss):
        raise _checks.fail("train_epoch_ch3", "loss", "a loss function", loss, error=TypeError)

    def counted_accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
        return math.nan if y.is_floating_point() else accuracy(y_hat, y)

    counted_accuracy.returns_count = True  # type: ignore[attr-defined]
    result = run_epoch(net, train_iter, loss=loss, metric=counted_accuracy, updater=updater, device=device,
                       func="train_epoch_ch3")
    return result.loss, result.score


def train_ch3(
    net: Net,
    train_iter: Batches,
    test_iter: Batches,
    loss: Loss,
    num_epochs: int,
    updater: Updater,
    device: torch.device | str | None = None,
    animate: bool = True,
    title: str = "Training progress",
) -> dict[str, list[float]]:
    """Train ``net`` for ``num_epochs`` and return the per-epoch history.

    Same arguments as d2l's ``train_ch3``; ``net`` may be an ``nn.Module`` or
    a plain function, ``updater`` a torch optimizer or a function of the batch
    size (see :func:`train_epoch_ch3`).  Differences from d2l, on purpose:

    * it returns ``{"epoch", "train_loss", "train_acc", "test_acc"}`` lists
      instead of ``None``, so a notebook can ``assert`` on the result itself;
    * it does not hide ``assert`` statements about the accuracy reached;
    * ``device`` (default: where the model's parameters are) moves the model
      and every batch there;
    * ``animate=False`` skips the live plot; ``title`` names it.

    Introduced in section 2.2.

    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3)); X, y = torch.randn(32, 1, 2, 2), torch.randint(0, 3, (32,))
    >>> h = train_ch3(net, [(X, y)], [(X, y)], nn.CrossEntropyLoss(reduction='none'), 2,
    ...               torch.optim.SGD(net.parameters(), lr=0.1), animate=False)
    >>> h["epoch"], len(h["test_acc"])
    ([1, 2], 2)
    """
    num_epochs = _checks.positive_int("train_ch3", "num_epochs", num_epochs)
    animate = _checks.flag("train_ch3", "animate", animate)
    if device is not None:
        device = torch.device(device)
        if isinstance(net, nn.Module):
            net.to(device)
    animator = None
    if animate:
        from .plotting import Animator

        animator = Animator(
            xlabel="epoch", xlim=[1, num_epochs], ylim=[0.0, 1.0],
            legend=["train loss", "train acc", "test acc"], title=title,
        )
    history: dict[str, list[float]] = {"epoch": [], "train_loss": [], "train_acc": [], "test_acc": []}
    for epoch in range(1, num_epochs + 1):
        train_loss, train_acc = train_epoch_ch3(net, train_iter, loss, updater, device)
        test_acc = evaluate_accuracy(net, test_iter, device)
        for key, value in zip(history, (epoch, train_loss, train_acc, test_acc)):
            history[key].append(value)
        if animator is not None:
            animator.add(epoch, (train_loss, train_acc, test_acc))
    return history


def grad_norms(model: nn.Module, kind: str = "weight") -> dict[str, float]:
    """L2 norm of the *gradient* of each parameter whose name ends in ``kind``.

    Call it after ``loss.backward()``; the result maps parameter names, in the
    order of the model's layers, to ``param.grad.norm()``.  (Printing
    ``param.norm()`` instead gives the norm of the weights, a different thing:
    see the pitfall of section 4.2.)  ``kind=""`` takes every parameter.
    Introduced in section 3.5 (the Runner's hook); section 4.2 explains it.

    >>> net = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))
    >>> net(torch.ones(4, 2)).sum().backward()
    >>> list(grad_norms(net))
    ['0.weight', '2.weight']
    """
    if not isinstance(model, nn.Module):
        raise _checks.fail("grad_norms", "model", "an nn.Module", model, error=TypeError)
    if not isinstance(kind, str):
        raise _checks.fail("grad_norms", "kind", "a str such as 'weight', 'bias' or ''", kind, error=TypeError)
    norms = {}
    for name, param in model.named_parameters():
        if not name.endswith(kind):
            continue
        if param.grad is None:
            raise ValueError(
                f"grad_norms(): parameter {name!r} has no gradient: call backward() on a loss before grad_norms()."
            )
        norms[name] = float(param.grad.norm())
    if not norms:
        raise ValueError(f"grad_norms(): the model has no parameter whose name ends in {kind!r}.")
    return norms
