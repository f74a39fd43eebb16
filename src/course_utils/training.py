"""Models, losses, optimisers and training loops of chapters 1 to 3.

* :func:`linreg`, :func:`squared_loss`, :func:`sgd`: section 1.2.
* :func:`accuracy`, :func:`evaluate_accuracy`, :class:`Accumulator`,
  :func:`train_epoch_ch3`, :func:`train_ch3`, :func:`predict_ch3`: section 2.2.
* :func:`evaluate_loss`: section 3.3.
* :func:`binary_accuracy`: section 3.4.
* :func:`grad_norms`: section 4.2.

Names, arguments and results follow the d2l package (0.17, chapters 3-4), so
code written for the book runs with ``import course_utils as d2l``.  Where this
module departs from d2l, the docstring says so.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence, Union

import torch
from torch import nn

__all__ = [
    "Accumulator",
    "accuracy",
    "binary_accuracy",
    "evaluate_accuracy",
    "evaluate_loss",
    "grad_norms",
    "linreg",
    "sgd",
    "squared_loss",
    "train_ch3",
    "train_epoch_ch3",
]

Net = Union[nn.Module, Callable[[torch.Tensor], torch.Tensor]]
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Updater = Union[torch.optim.Optimizer, Callable[[int], None]]
Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The linear regression model ``Xw + b``. Introduced in section 1.2.

    >>> linreg(torch.ones(3, 2), torch.ones(2, 1), torch.zeros(1)).shape
    torch.Size([3, 1])
    """
    return torch.matmul(X, w) + b


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-example squared loss ``(y_hat - y)^2 / 2``. Introduced in section 1.2.

    ``y`` is reshaped to ``y_hat``'s shape, as in d2l.

    >>> squared_loss(torch.tensor([[1.0], [3.0]]), torch.tensor([0.0, 1.0]))
    tensor([[0.5000],
            [2.0000]])
    """
    if y_hat.numel() != y.numel():
        raise ValueError(
            f"y_hat and y must hold the same number of values, got shapes {tuple(y_hat.shape)} and {tuple(y.shape)}."
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
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
    with torch.no_grad():
        for param in params:
            if param.grad is None:
                raise ValueError("a parameter has no gradient: call backward() on the loss before sgd().")
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Number of correct predictions (a count, not a fraction, as in d2l).

    ``y_hat`` holds one row of class scores per example (the predicted class is
    the arg-max) or already the predicted labels.  Introduced in section 2.2.

    >>> accuracy(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1]))
    1.0
    """
    if y_hat.ndim > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    y_hat = y_hat.reshape(-1)
    if y_hat.shape[0] != y.reshape(-1).shape[0]:
        raise ValueError(
            f"predictions and labels disagree in number: y_hat has {y_hat.shape[0]} rows, "
            f"y has {y.reshape(-1).shape[0]} labels."
        )
    cmp = y_hat.type(y.dtype) == y.reshape(-1)
    return float(cmp.sum())


def binary_accuracy(y_hat: torch.Tensor, y: torch.Tensor, threshold: float = 0.5) -> float:
    """Fraction of examples whose probability ``y_hat`` falls on the side of ``threshold`` of ``y``.

    ``y_hat`` holds probabilities (e.g. a sigmoid output) and ``y`` 0/1 labels
    of the same number of elements.  Introduced in section 3.4.

    >>> binary_accuracy(torch.tensor([[0.9], [0.2], [0.6]]), torch.tensor([[1.0], [0.0], [0.0]]))
    0.6666666666666666
    """
    if y_hat.numel() != y.numel():
        raise ValueError(
            f"y_hat and y must hold one value per example, got shapes {tuple(y_hat.shape)} and {tuple(y.shape)}."
        )
    pred = (y_hat.reshape(-1) >= threshold).to(y.dtype)
    return float((pred == y.reshape(-1)).float().mean())


class Accumulator:
    """Sums ``n`` running totals. Introduced in section 2.2.

    >>> metric = Accumulator(2); metric.add(1, 2.5); metric.add(1, 0.5); metric[1]
    3.0
    """

    def __init__(self, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise ValueError(f"n must be a positive int, got {n!r}.")
        self.data = [0.0] * n

    def add(self, *args: float) -> None:
        if len(args) != len(self.data):
            raise ValueError(f"add() takes {len(self.data)} values, got {len(args)}.")
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self) -> None:
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        return self.data[idx]


def _device_of(net: Net) -> torch.device:
    if isinstance(net, nn.Module):
        param = next(net.parameters(), None)
        if param is not None:
            return param.device
    return torch.device("cpu")


def _check_batch(X: object, y: object) -> None:
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"batches must be (X, y) pairs of tensors, got ({type(X).__name__}, {type(y).__name__}).")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"a batch has {X.shape[0]} examples in X but {y.shape[0]} labels in y.")


def evaluate_accuracy(net: Net, data_iter: Batches, device: torch.device | str | None = None) -> float:
    """Fraction of correctly classified examples of ``data_iter``. Introduced in section 2.2.

    A module is put into evaluation mode; no gradients are recorded.

    >>> net = nn.Linear(4, 3); X, y = torch.randn(8, 4), torch.zeros(8, dtype=torch.long)
    >>> 0.0 <= evaluate_accuracy(net, [(X, y)]) <= 1.0
    True
    """
    if isinstance(net, nn.Module):
        net.eval()
    device = torch.device(device) if device is not None else _device_of(net)
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            _check_batch(X, y)
            X, y = X.to(device), y.to(device)
            metric.add(accuracy(net(X), y), y.numel())
    if metric[1] == 0:
        raise ValueError("data_iter yielded no examples.")
    return metric[0] / metric[1]


def evaluate_loss(net: Net, data_iter: Batches, loss: Loss, device: torch.device | str | None = None) -> float:
    """Average per-example loss of ``net`` over ``data_iter``. Introduced in section 3.3.

    ``loss`` must return one value per example (``reduction='none'``).

    >>> evaluate_loss(nn.Linear(2, 1), [(torch.zeros(4, 2), torch.zeros(4, 1))], nn.MSELoss(reduction='none')) >= 0
    True
    """
    if isinstance(net, nn.Module):
        net.eval()
    device = torch.device(device) if device is not None else _device_of(net)
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            _check_batch(X, y)
            X, y = X.to(device), y.to(device)
            out = net(X)
            if y.numel() == out.numel():  # regression targets take the output's shape, as in d2l
                y = y.reshape(out.shape)
            l = loss(out, y)
            metric.add(float(l.sum()), l.numel())
    if metric[1] == 0:
        raise ValueError("data_iter yielded no examples.")
    return metric[0] / metric[1]


def _per_example_loss(loss: Loss, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if y_hat.ndim == 0 or y_hat.shape[0] != y.shape[0]:
        raise ValueError(
            f"the network returned shape {tuple(y_hat.shape)} for a batch of {y.shape[0]} examples; "
            "it must return one row of outputs per example."
        )
    l = loss(y_hat, y)
    if l.ndim == 0:
        raise ValueError(
            "the loss returned a single number, but train_ch3 needs one loss per example: "
            "create it with reduction='none', e.g. nn.CrossEntropyLoss(reduction='none')."
        )
    return l


def train_epoch_ch3(
    net: Net, train_iter: Batches, loss: Loss, updater: Updater, device: torch.device | str | None = None
) -> tuple[float, float]:
    """Train for one epoch; return ``(average train loss, train accuracy)``.

    With a torch optimizer the gradient is that of the *mean* loss; with a custom
    updater ``updater(batch_size)`` it is that of the *summed* loss, exactly as
    in d2l.  Introduced in section 2.2.
    """
    if not isinstance(updater, torch.optim.Optimizer) and not callable(updater):
        raise TypeError(f"updater must be a torch optimizer or a function of the batch size, got {updater!r}.")
    if isinstance(net, nn.Module):
        net.train()
    device = torch.device(device) if device is not None else _device_of(net)
    metric = Accumulator(3)
    for X, y in train_iter:
        _check_batch(X, y)
        X, y = X.to(device), y.to(device)
        y_hat = net(X)
        l = _per_example_loss(loss, y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        # Detached: the running sums need no autograd graph (and float() of a
        # tensor that requires grad warns in recent torch).
        metric.add(float(l.detach().sum()), accuracy(y_hat.detach(), y), y.numel())
    if metric[2] == 0:
        raise ValueError("train_iter yielded no examples.")
    return metric[0] / metric[2], metric[1] / metric[2]


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
    * it does not hide ``assert``s about the accuracy reached;
    * ``device`` (default: where the model's parameters are) moves the model
      and every batch there;
    * ``animate=False`` skips the live plot; ``title`` names it.

    Introduced in section 2.2.
    """
    if isinstance(num_epochs, bool) or not isinstance(num_epochs, int) or num_epochs <= 0:
        raise ValueError(f"num_epochs must be a positive int, got {num_epochs!r}.")
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
    Introduced in section 4.2.

    >>> net = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))
    >>> net(torch.ones(4, 2)).sum().backward()
    >>> list(grad_norms(net))
    ['0.weight', '2.weight']
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}.")
    norms = {}
    for name, param in model.named_parameters():
        if not name.endswith(kind):
            continue
        if param.grad is None:
            raise ValueError(f"parameter {name!r} has no gradient: call backward() on a loss before grad_norms().")
        norms[name] = float(param.grad.norm())
    if not norms:
        raise ValueError(f"the model has no parameter whose name ends in {kind!r}.")
    return norms
