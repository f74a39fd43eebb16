"""A reusable training driver: train, evaluate, predict, keep the best model.

Introduced in section 3.5 (Training with a Runner).  The design follows the
``Runner`` of the *Neural Networks and Deep Learning* lab book: the model, the
optimiser, the loss and the metric are handed in once, and the same object
then trains, evaluates and predicts.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Callable, Iterable, Union

import torch
from torch import nn

__all__ = ["Runner"]

Batch = tuple[torch.Tensor, torch.Tensor]
DataSet = Union[Batch, Iterable[Batch]]
Metric = Callable[[torch.Tensor, torch.Tensor], float]
Hook = Callable[["Runner", int], None]


def _batches(data: DataSet) -> Iterable[Batch]:
    """A pair of tensors is one full batch; anything else is iterated as batches."""
    if isinstance(data, tuple) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data):
        return [data]
    if isinstance(data, (torch.Tensor, str)) or not hasattr(data, "__iter__"):
        raise TypeError(
            f"a data set must be an (X, y) pair of tensors or an iterable of such batches, got {type(data).__name__}."
        )
    return data


class Runner:
    """Train, evaluate and predict with one model; keep the best one by dev score.

    ``loss_fn(outputs, y)`` returns the mean loss of a batch and
    ``metric(outputs, y)`` a score where higher is better (for example
    :func:`~course_utils.training.binary_accuracy`).  After :meth:`train`,
    ``history`` holds per-epoch ``train_loss``, ``train_score``, ``dev_loss``
    and ``dev_score``; ``best_score`` and ``best_epoch`` tell which epoch had
    the highest dev score, and the model is left with *that* epoch's weights.

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
            raise TypeError(f"model must be an nn.Module, got {type(model).__name__}.")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}.")
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

        Each epoch is one pass over ``train_set`` (an ``(X, y)`` pair is one
        full batch).  After each epoch the model is scored on ``dev_set``;
        a better dev score keeps a copy of the weights (saved to ``save_path``
        when given).  At the end the best weights are loaded back.  With
        ``log_every=k`` a line is printed every ``k`` epochs.
        """
        if isinstance(num_epochs, bool) or not isinstance(num_epochs, int) or num_epochs <= 0:
            raise ValueError(f"num_epochs must be a positive int, got {num_epochs!r}.")
        if isinstance(log_every, bool) or not isinstance(log_every, int) or log_every < 0:
            raise ValueError(f"log_every must be an int >= 0 (0: no log), got {log_every!r}.")
        self.history = {"epoch": [], "train_loss": [], "train_score": [], "dev_loss": [], "dev_score": []}
        self.best_score, self.best_epoch, self._best_state = float("-inf"), 0, None
        for epoch in range(1, num_epochs + 1):
            self.model.train()
            total_loss, total_score, count = 0.0, 0.0, 0
            for X, y in _batches(train_set):
                outputs = self.model(X)
                loss = self.loss_fn(outputs, y)
                if loss.ndim != 0:
                    raise ValueError("loss_fn must return the mean loss of a batch (a single number).")
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                n = len(X)
                total_loss += float(loss.detach()) * n
                total_score += float(self.metric(outputs.detach(), y)) * n
                count += n
            if count == 0:
                raise ValueError("train_set yielded no examples.")
            self.history["epoch"].append(epoch)
            self.history["train_loss"].append(total_loss / count)
            self.history["train_score"].append(total_score / count)
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

    @torch.no_grad()
    def evaluate(self, data_set: DataSet) -> tuple[float, float]:
        """Return ``(mean loss, mean score)`` of the model on ``data_set``."""
        self.model.eval()
        total_loss, total_score, count = 0.0, 0.0, 0
        for X, y in _batches(data_set):
            outputs = self.model(X)
            n = len(X)
            total_loss += float(self.loss_fn(outputs, y)) * n
            total_score += float(self.metric(outputs, y)) * n
            count += n
        if count == 0:
            raise ValueError("data_set yielded no examples.")
        return total_loss / count, total_score / count

    @torch.no_grad()
    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """Return the model's outputs for ``X``, in evaluation mode and without gradients."""
        if not isinstance(X, torch.Tensor):
            raise TypeError(f"X must be a tensor, got {type(X).__name__}.")
        self.model.eval()
        return self.model(X)

    def save_model(self, path: str | Path) -> None:
        """Save the model's ``state_dict`` to ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(self.model.state_dict(), path)

    def load_model(self, path: str | Path) -> None:
        """Load a ``state_dict`` saved by :meth:`save_model` into the model."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no saved model at {path}: call train(..., save_path=...) or save_model() first.")
        self.model.load_state_dict(torch.load(path, weights_only=True))
