"""A reusable training driver: train, evaluate, predict, keep the best model.

Introduced in section 3.5 (Training with a Runner).  The design follows the
``Runner`` of the *Neural Networks and Deep Learning* lab book: the model, the
optimiser, the loss and the metric are handed in once, and the same object
then trains, evaluates and predicts.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable, Iterable, Union

import torch
from torch import nn

from . import _checks
from .training import run_epoch

__all__ = ["Runner"]

Batch = tuple[torch.Tensor, torch.Tensor]
DataSet = Union[Batch, list, Iterable[Batch]]
Metric = Callable[[torch.Tensor, torch.Tensor], float]
Hook = Callable[["Runner", int], None]


class Runner:
    """Train, evaluate and predict with one model; keep the best one by dev score.

    ``loss_fn(outputs, y)`` returns the mean loss of a batch (an ``nn`` loss
    with the default ``reduction='mean'``) or one loss per example
    (``reduction='none'``); ``metric(outputs, y)`` returns the fraction of
    correct predictions of a batch, where higher is better (for example
    :func:`~course_utils.training.binary_accuracy`; d2l's ``accuracy``, which
    counts, is recognised).  These are the rules of
    :func:`~course_utils.training.run_epoch`, which does each pass.

    After :meth:`train`, ``history`` holds per-epoch ``train_loss``,
    ``train_score`` (running values over the epoch's batches, each computed
    *before* that batch's step), ``dev_loss`` and ``dev_score`` (after the
    epoch's last step); ``best_score`` and ``best_epoch`` tell which epoch had
    the highest dev score, and the model is left with *that* epoch's weights.
    :meth:`evaluate` and :meth:`predict` leave the model in the train/eval mode
    they found it in.  Introduced in section 3.5.

    >>> from course_utils.training import binary_accuracy
    >>> X, y = torch.randn(32, 2), torch.randint(0, 2, (32, 1)).float()
    >>> net = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    >>> runner = Runner(net, torch.optim.SGD(net.parameters(), lr=0.1), nn.BCELoss(), binary_accuracy)
    >>> history = runner.train((X, y), (X, y), num_epochs=3)
    >>> len(history["dev_score"]), runner.best_epoch in (1, 2, 3)
    (3, True)
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        metric: Metric,
        on_epoch_end: Hook | None = None,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise _checks.fail("Runner", "model", "an nn.Module", model, error=TypeError)
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise _checks.fail("Runner", "optimizer", "a torch.optim.Optimizer", optimizer,
                               "e.g. torch.optim.SGD(model.parameters(), lr=0.1).", TypeError)
        if not callable(loss_fn):
            raise _checks.fail("Runner", "loss_fn", "a loss function, e.g. nn.BCELoss()", loss_fn, error=TypeError)
        if not callable(metric):
            raise _checks.fail("Runner", "metric", "a metric function, e.g. binary_accuracy", metric,
                               error=TypeError)
        if on_epoch_end is not None and not callable(on_epoch_end):
            raise _checks.fail("Runner", "on_epoch_end", "None or a function (runner, epoch)", on_epoch_end,
                               error=TypeError)
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.metric = metric
        self.on_epoch_end = on_epoch_end
        self.history: dict[str, list[float]] = {}
        self.best_score = float("-inf")
        self.best_epoch = 0
        self._best_state: dict[str, torch.Tensor] | None = None

    def train(
        self,
        train_set: DataSet,
        dev_set: DataSet | None = None,
        num_epochs: int = 1,
        log_every: int = 0,
        save_path: str | Path | None = None,
    ) -> dict[str, list[float]]:
        """Train for ``num_epochs``; return the history.

        Each epoch is one pass over ``train_set`` (an ``(X, y)`` pair, tuple or
        list, is one full batch).  After each epoch the model is scored on
        ``dev_set``; a better dev score keeps a copy of the weights (saved to
        ``save_path`` when given).  At the end the best weights are loaded
        back.  With ``log_every=k`` a line is printed every ``k`` epochs.

        >>> X, y = torch.randn(16, 2), torch.randint(0, 2, (16, 1)).float()
        >>> net = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
        >>> from course_utils.training import binary_accuracy
        >>> r = Runner(net, torch.optim.SGD(net.parameters(), lr=0.5), nn.BCELoss(), binary_accuracy)
        >>> sorted(r.train([X, y], num_epochs=2))
        ['dev_loss', 'dev_score', 'epoch', 'train_loss', 'train_score']
        """
        num_epochs = _checks.positive_int("Runner.train", "num_epochs", num_epochs)
        log_every = _checks.integer("Runner.train", "log_every", log_every, minimum=0)
        _checks.batches("Runner.train", "train_set", train_set)
        if dev_set is not None:
            _checks.batches("Runner.train", "dev_set", dev_set)
        self.history = {"epoch": [], "train_loss": [], "train_score": [], "dev_loss": [], "dev_score": []}
        self.best_score, self.best_epoch, self._best_state = float("-inf"), 0, None
        for epoch in range(1, num_epochs + 1):
            result = run_epoch(self.model, train_set, self.loss_fn, self.metric, self.optimizer, func="Runner.train")
            self.history["epoch"].append(epoch)
            self.history["train_loss"].append(result.loss)
            self.history["train_score"].append(result.score)
            if dev_set is not None:
                dev_loss, dev_score = self.evaluate(dev_set)
                self.history["dev_loss"].append(dev_loss)
                self.history["dev_score"].append(dev_score)
                if dev_score > self.best_score:
                    self.best_score, self.best_epoch = dev_score, epoch
                    self._best_state = copy.deepcopy(self.model.state_dict())
                    if save_path is not None:
                        self.save_model(save_path)
            if self.on_epoch_end is not None:
                self.on_epoch_end(self, epoch)
            if log_every and epoch % log_every == 0:
                line = f"epoch {epoch:4d}  train loss {self.history['train_loss'][-1]:.4f}"
                line += f"  train score {self.history['train_score'][-1]:.3f}"
                if dev_set is not None:
                    line += f"  dev loss {self.history['dev_loss'][-1]:.4f}  dev score {self.history['dev_score'][-1]:.3f}"
                print(line)
        if self._best_state is not None:
            self.model.load_state_dict(self._best_state)
        return self.history

    def evaluate(self, data_set: DataSet) -> tuple[float, float]:
        """Return ``(mean loss, mean score)`` of the model on ``data_set``.

        In evaluation mode and without gradients; the model's mode is restored afterwards.

        >>> from course_utils.training import binary_accuracy
        >>> net = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
        >>> r = Runner(net, torch.optim.SGD(net.parameters(), lr=0.1), nn.BCELoss(), binary_accuracy)
        >>> loss, score = r.evaluate((torch.zeros(4, 2), torch.ones(4, 1))); net.training
        True
        """
        result = run_epoch(self.model, data_set, self.loss_fn, self.metric, func="Runner.evaluate")
        return result.loss, result.score

    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """Return the model's outputs for ``X``, in evaluation mode and without gradients.

        The model's train/eval mode is restored afterwards.

        >>> net = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
        >>> r = Runner(net, torch.optim.SGD(net.parameters(), lr=0.1), nn.BCELoss(), lambda p, y: 1.0)
        >>> r.predict(torch.zeros(3, 2)).shape
        torch.Size([3, 1])
        """
        if not isinstance(X, torch.Tensor):
            raise _checks.fail("Runner.predict", "X", "a tensor of inputs", X, error=TypeError)
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                return self.model(X)
        finally:
            self.model.train(was_training)

    def save_model(self, path: str | Path) -> None:
        """Save the model's ``state_dict`` to ``path`` (its folder is created).

        >>> import tempfile, os
        >>> r = Runner(nn.Linear(2, 1), torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1), nn.MSELoss(), lambda p, y: 1.0)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     r.save_model(os.path.join(d, "m.pt")); r.load_model(os.path.join(d, "m.pt"))
        """
        if not isinstance(path, (str, Path)):
            raise _checks.fail("Runner.save_model", "path", "a file path (str or Path)", path, error=TypeError)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(self.model.state_dict(), path)

    def load_model(self, path: str | Path) -> None:
        """Load a ``state_dict`` saved by :meth:`save_model` into the model (example: :meth:`save_model`)."""
        if not isinstance(path, (str, Path)):
            raise _checks.fail("Runner.load_model", "path", "a file path (str or Path)", path, error=TypeError)
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"Runner.load_model(): no saved model at {path}: call train(..., save_path=...) or save_model() first."
            )
        self.model.load_state_dict(torch.load(path, weights_only=True))
