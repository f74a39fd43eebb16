"""Training several copies of a small model at once, one copy per seed.

A comparison over seeds needs the same experiment run many times.  For the
small models of this course (a linear model, softmax regression, an MLP of a
few layers) one run does too little work to keep a CPU busy, so running the
copies one after another wastes most of the time.  :func:`train_seeds` trains
them *together*: it stacks the parameters of the K copies and lets
:func:`torch.func.vmap` run the forward pass of every copy on its own
minibatch in one call.  The copies never mix: copy ``k`` only ever sees the
gradient of its own loss.

What a seed fixes.  Copy ``k`` is built by ``make_net()`` right after
``torch.manual_seed(seeds[k])`` (its initial weights), and its minibatches
come in the order of ``torch.randperm(n, generator=g)`` with
``g = torch.Generator().manual_seed(seeds[k])``, one permutation per epoch.
That is exactly what this plain loop does, so copy ``k`` *is* that run, up
to round-off (``tests/test_seeds.py`` checks it for each model kind)::

    torch.manual_seed(seed)
    net = make_net()
    loader = TensorLoader(X, y, batch_size, shuffle=True,
                          generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        train_epoch_ch3(net, loader, loss, optimizer)

Two settings run with the same seeds are therefore *paired*: same start,
same minibatches.  Several learning rates (or weight decays) can be trained
in one call by passing lists; each setting gets its own K copies.

* :func:`train_seeds` and :class:`SeedRuns`: introduced in section 1.2
  (reading the results is explained on the page "Reading the evidence").
"""

from __future__ import annotations

import copy
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence, Union

import torch
from torch import nn

from . import _checks
from .training import _batch_loss, accuracy, binary_accuracy, run_epoch

__all__ = ["SeedRuns", "train_seeds"]

Pair = tuple[torch.Tensor, torch.Tensor]
Data = Union[Pair, list, Callable[[int], Pair]]
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Metric = Callable[[torch.Tensor, torch.Tensor], float]


@dataclass
class SeedRuns:
    """The runs of one setting (one learning rate, one weight decay) over the seeds.

    Every per-epoch record is a tensor of shape ``(num_epochs, K)``: row
    ``e`` is epoch ``e + 1``, column ``k`` the run of ``seeds[k]``.

    * ``train_loss``: mean loss per example over the epoch's minibatches,
      each measured *before* that minibatch's step (as ``train_ch3`` reports);
    * ``train_score``: the running fraction correct, measured the same way
      (``None`` without a metric);
    * ``val_loss``, ``val_score``: on ``val_data`` after the epoch's last
      step, in evaluation mode (``None`` without ``val_data``; ``val_score``
      is ``None`` without a metric);
    * ``step_loss``: shape ``(steps, K)``, the mean loss of every minibatch
      before its step (only with ``record_steps=True``);
    * ``step_val_loss``: shape ``(steps, K)``, the loss on ``val_data`` after
      every step (only with ``record_steps=True`` and ``val_data``; pass the
      training set as ``val_data`` to follow the full training loss).

    :meth:`last` gives the values of the last epoch as a list, ready for
    :func:`~course_utils.repeats.compare_paired`; :meth:`net` rebuilds the
    trained network of one seed.  Introduced in section 1.2.

    >>> X = torch.randn(64, 3); y = (X[:, 0] > 0).long()
    >>> runs = train_seeds(lambda: nn.Linear(3, 2), [0, 1], (X, y), nn.CrossEntropyLoss(), 2, lr=0.5,
    ...                    val_data=(X, y), metric=accuracy)
    >>> runs.val_score.shape, len(runs.last("val_score")), type(runs.net(1)).__name__
    (torch.Size([2, 2]), 2, 'Linear')
    """

    seeds: tuple[int, ...]
    lr: float
    weight_decay: float
    train_loss: torch.Tensor
    train_score: torch.Tensor | None
    val_loss: torch.Tensor | None
    val_score: torch.Tensor | None
    step_loss: torch.Tensor | None
    step_val_loss: torch.Tensor | None
    params: dict[str, torch.Tensor] = field(repr=False)
    _template: nn.Module = field(repr=False)

    def last(self, record: str = "val_score") -> list[float]:
        """The values of ``record`` (e.g. ``"val_score"``) after the last epoch, one per seed."""
        names = ("train_loss", "train_score", "val_loss", "val_score")
        if record not in names:
            raise ValueError(f"SeedRuns.last(): record must be one of {names}, got {record!r}.")
        values = getattr(self, record)
        if values is None:
            raise ValueError(
                f"SeedRuns.last(): {record!r} was not recorded; pass "
                + ("val_data to train_seeds." if record.startswith("val") else "a metric to train_seeds.")
            )
        return [float(v) for v in values[-1]]

    def evaluate(self, data: Data, loss: Loss | None = None, metric: Metric | None = None) -> dict[str, list[float]]:
        """Loss and score of every run's trained network on ``data``, in evaluation mode.

        ``data`` is an ``(X, y)`` pair shared by every seed, or a function
        ``seed -> (X, y)``; give a ``loss``, a ``metric`` or both.  Returns
        ``{"loss": [...], "score": [...]}`` with one value per seed (only the
        keys asked for), e.g. the test accuracy of each seed, reported once.

        >>> X = torch.randn(64, 3); y = (X[:, 0] > 0).long()
        >>> runs = train_seeds(lambda: nn.Linear(3, 2), [0, 1], (X, y), nn.CrossEntropyLoss(), 5, lr=0.5)
        >>> test = runs.evaluate((X, y), metric=accuracy); len(test["score"])
        2
        """
        if loss is None and metric is None:
            raise ValueError("SeedRuns.evaluate(): give a loss, a metric or both.")
        X, y, per_seed = _data("SeedRuns.evaluate", "data", data, self.seeds)
        result: dict[str, list[float]] = {}
        if loss is not None:
            result["loss"] = []
        if metric is not None:
            result["score"] = []
        for k in range(len(self.seeds)):
            net = self.net(k)
            Xk, yk = (X[k], y[k]) if per_seed else (X, y)
            r = run_epoch(net, (Xk, yk), loss=loss, metric=metric, func="SeedRuns.evaluate")
            if loss is not None:
                result["loss"].append(r.loss)
            if metric is not None:
                result["score"].append(r.score)
        return result

    def net(self, k: int) -> nn.Module:
        """A separate ``nn.Module`` holding the trained weights of run ``k`` (the run of ``seeds[k]``)."""
        k = _checks.integer("SeedRuns.net", "k", k, minimum=0)
        if k >= len(self.seeds):
            raise ValueError(f"SeedRuns.net(): k must be below the number of runs, {len(self.seeds)}; got {k}.")
        net = copy.deepcopy(self._template)
        with torch.no_grad():
            for name, param in net.named_parameters():
                param.copy_(self.params[name][k])
        return net


def _settings(func: str, name: str, value: Any, low_open: bool) -> list[float]:
    if isinstance(value, (list, tuple)):
        if not value:
            raise _checks.fail(func, name, "a number or a non-empty list of numbers", value)
        return [_checks.number(func, f"{name}[{i}]", v, low=0.0, low_open=low_open) for i, v in enumerate(value)]
    return [_checks.number(func, name, value, low=0.0, low_open=low_open)]


def _seeds(func: str, seeds: Any) -> tuple[int, ...]:
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise _checks.fail(func, "seeds", "a sequence of ints, e.g. range(5)", seeds, error=TypeError)
    out = tuple(seeds)
    if not out:
        raise ValueError(f"{func}(): seeds is empty; give at least one seed, e.g. range(5).")
    for s in out:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise _checks.fail(func, "every seed", "an int", s, error=TypeError)
    if len(set(out)) != len(out):
        raise ValueError(f"{func}(): seeds must be distinct, got {list(out)}.")
    return tuple(int(s) for s in out)


def _data(func: str, name: str, data: Any, seeds: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """``(X, y, per_seed)``: a shared pair, or one pair per seed stacked along a new first axis."""
    if callable(data) and not _checks.is_pair(data):
        pairs = [data(s) for s in seeds]
        for s, pair in zip(seeds, pairs):
            if not _checks.is_pair(pair):
                raise _checks.fail(func, f"{name}({s})", "an (X, y) pair of tensors", pair, error=TypeError)
        X0, y0 = pairs[0]
        for s, (X, y) in zip(seeds, pairs):
            _checks.batch(func, X, y)
            if X.shape != X0.shape or y.shape != y0.shape:
                raise ValueError(
                    f"{func}(): {name}({s}) has shapes {tuple(X.shape)}, {tuple(y.shape)} but {name}({seeds[0]}) "
                    f"has {tuple(X0.shape)}, {tuple(y0.shape)}; every seed's data must have the same shapes."
                )
        return torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs]), True
    if not _checks.is_pair(data):
        raise _checks.fail(func, name, "an (X, y) pair of tensors, or a function seed -> (X, y)", data,
                           "Pass the whole data set as tensors, not a DataLoader.", TypeError)
    X, y = _checks.batch(func, *data)
    return X, y, False


#: Layers the fast path of train_seeds computes itself; any other layer goes through vmap.
_ELEMENTWISE_LAYERS = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.LeakyReLU, nn.ELU, nn.Identity, nn.Dropout, nn.GELU,
                       nn.Softplus, nn.SiLU)


def _layer_stack(model: nn.Module) -> list[tuple[str, nn.Module]] | None:
    """``(parameter prefix, layer)`` pairs of an ``nn.Linear`` or an ``nn.Sequential`` of linear,
    flatten and elementwise layers (the models of chapters 1-4), else ``None``."""
    if type(model) is nn.Linear:
        return [("", model)]
    if type(model) is not nn.Sequential:
        return None
    layers = []
    for name, layer in model.named_children():
        if type(layer) is nn.Linear or isinstance(layer, _ELEMENTWISE_LAYERS) or (
                type(layer) is nn.Flatten and layer.start_dim == 1 and layer.end_dim == -1):
            layers.append((f"{name}.", layer))
        else:
            return None
    return layers


def _stack_forward(stack: list[tuple[str, nn.Module]], p: dict[str, torch.Tensor], X: torch.Tensor) -> torch.Tensor:
    """The outputs of all R runs, shape ``(R, B, ...)``, from inputs ``(R, B, ...)``."""
    H = X
    for prefix, layer in stack:
        if type(layer) is nn.Linear:
            W = p[prefix + "weight"]
            b = p.get(prefix + "bias")
            H = torch.baddbmm(b.unsqueeze(1), H, W.transpose(1, 2)) if b is not None else torch.bmm(H, W.transpose(1, 2))
        elif type(layer) is nn.Flatten:
            H = H.flatten(2)
        else:
            H = layer(H)
    return H


def _elementwise(loss: Loss, per_example: bool) -> Loss | None:
    """A version of ``loss`` that returns one value per example (or per element), or ``None``."""
    if per_example:
        return loss
    reduction = getattr(loss, "reduction", None)
    if isinstance(loss, nn.modules.loss._Loss) and reduction == "mean" and getattr(loss, "weight", None) is None:
        clone = copy.copy(loss)
        clone.reduction = "none"
        return clone
    return None


def _fast_correct(metric: Metric | None) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None:
    """Correct predictions per run of (R, B, ...) outputs, for the course's two metrics."""
    if metric is accuracy:
        return lambda out, y: (out.argmax(dim=-1) == y).sum(dim=1).double() if out.shape[-1] > 1 else None
    if metric is binary_accuracy:
        return lambda out, y: ((out.reshape(out.shape[0], -1) >= 0.5).to(y.dtype)
                               == y.reshape(y.shape[0], -1)).sum(dim=1).double()
    return None


def _correct(metric: Metric, fast: Any, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Number of correct predictions of each run: fast path for the course's metrics, else one call per run."""
    if fast is not None:
        counts = fast(out, y)
        if counts is not None:
            return counts
    from .training import _batch_correct

    return torch.tensor([_batch_correct("train_seeds", metric, out[r], y[r]) for r in range(out.shape[0])],
                        dtype=torch.float64)


def train_seeds(
    make_net: Callable[[], nn.Module],
    seeds: Sequence[int],
    data: Data,
    loss: Loss,
    num_epochs: int,
    lr: float | Sequence[float],
    batch_size: int | None = None,
    val_data: Data | None = None,
    metric: Metric | None = None,
    weight_decay: float | Sequence[float] = 0.0,
    record_steps: bool = False,
) -> Any:
    """Train one copy of ``make_net()`` per seed with minibatch SGD, all copies at once.

    Arguments:

    * ``make_net``: a function without arguments that builds the network,
      including any initialisation of its own; it is called once per seed,
      right after ``torch.manual_seed(seed)``.  Every layer must be
      deterministic in evaluation (dropout is allowed while training: its
      masks are drawn per copy, so those runs are not equal to single runs).
    * ``data``: the training set as an ``(X, y)`` pair of tensors, shared by
      every seed, or a function ``seed -> (X, y)`` that draws a data set per
      seed (all of the same shape).  ``val_data`` likewise.
    * ``loss``: one loss per example (``reduction='none'``) or the batch mean
      (an ``nn`` loss with ``reduction='mean'``), the rule of
      :func:`~course_utils.training.run_epoch`; each copy steps along the
      gradient of its minibatch's *mean* loss.  The model and the loss must
      work under :func:`torch.func.vmap` (every ``nn`` layer and loss does).
    * ``lr`` and ``weight_decay``: a number, or lists of the same length to
      train several settings in one call.  Weight decay adds
      ``weight_decay * w`` to the gradient of every parameter whose name ends
      in ``weight`` (biases are not decayed).
    * ``batch_size``: ``None`` trains on the full batch (no shuffling).
    * ``metric``: e.g. :func:`~course_utils.training.accuracy` or
      :func:`~course_utils.training.binary_accuracy`; scores are fractions.

    Returns a :class:`SeedRuns` (a list of them, one per setting, when ``lr``
    or ``weight_decay`` is a list).  See the module docstring for what a
    seed fixes.  Introduced in section 1.2.

    >>> X = torch.randn(200, 2); y = X @ torch.tensor([2.0, -3.4]) + 4.2
    >>> runs = train_seeds(lambda: nn.Linear(2, 1), range(3), (X, y), nn.MSELoss(), num_epochs=5,
    ...                    lr=0.1, batch_size=10)
    >>> runs.train_loss.shape, all(loss < 1e-3 for loss in runs.last("train_loss"))
    (torch.Size([5, 3]), True)
    """
    func = "train_seeds"
    if isinstance(make_net, nn.Module) or not callable(make_net):
        raise _checks.fail(func, "make_net", "a function that builds the network", make_net,
                           "Pass the function, not a network it built: e.g. lambda: nn.Linear(2, 1).", TypeError)
    seeds = _seeds(func, seeds)
    if not callable(loss):
        raise _checks.fail(func, "loss", "a loss function", loss, error=TypeError)
    if metric is not None and not callable(metric):
        raise _checks.fail(func, "metric", "a metric function or None", metric, error=TypeError)
    num_epochs = _checks.positive_int(func, "num_epochs", num_epochs)
    if batch_size is not None:
        batch_size = _checks.positive_int(func, "batch_size", batch_size)
    record_steps = _checks.flag(func, "record_steps", record_steps)
    lrs = _settings(func, "lr", lr, low_open=True)
    wds = _settings(func, "weight_decay", weight_decay, low_open=False)
    several = isinstance(lr, (list, tuple)) or isinstance(weight_decay, (list, tuple))
    if len(lrs) > 1 and len(wds) > 1 and len(lrs) != len(wds):
        raise ValueError(f"{func}(): lr and weight_decay lists must have the same length, got {len(lrs)} and {len(wds)}.")
    L = max(len(lrs), len(wds))
    lrs, wds = lrs * (L // len(lrs)), wds * (L // len(wds))

    nets = []
    for seed in seeds:
        torch.manual_seed(seed)
        net = make_net()
        if not isinstance(net, nn.Module):
            raise _checks.fail(func, "make_net()", "an nn.Module", net, error=TypeError)
        nets.append(net)
    template = copy.deepcopy(nets[0])
    shapes = {name: p.shape for name, p in template.named_parameters()}
    if not shapes:
        raise ValueError(f"{func}(): the network has no parameters to train.")
    if any(True for _ in template.buffers()):
        raise ValueError(f"{func}(): networks with buffers (e.g. batch normalisation) are not supported; "
                         "train them one by one with run_seeds and train_ch3.")
    for seed, net in zip(seeds, nets):
        if {n: p.shape for n, p in net.named_parameters()} != shapes:
            raise ValueError(f"{func}(): make_net() built a network of another shape for seed {seed}; "
                             "it must build the same architecture every time.")
    device = next(template.parameters()).device

    X, y, per_seed = _data(func, "data", data, seeds)
    X, y = X.to(device), y.to(device)
    n = X.shape[1] if per_seed else X.shape[0]
    if val_data is not None:
        Xv, yv, val_per_seed = _data(func, "val_data", val_data, seeds)
        Xv, yv = Xv.to(device), yv.to(device)

    # Check the loss rule once, on the first seed's network and a few examples, with the usual messages.
    X0, y0 = (X[0], y[0]) if per_seed else (X, y)
    with torch.no_grad():
        out0 = nets[0](X0[: min(n, 4)])
        y_first = y0[: min(n, 4)]
        reshape_y = y_first.numel() == out0.numel() and y_first.shape != out0.shape
        per_example = _batch_loss(func, loss, out0, y_first.reshape(out0.shape) if reshape_y else y_first) \
            .per_example is not None

    # R = L * K runs: setting-major, so run r is setting r // K and seed r % K.
    K, R = len(seeds), L * len(seeds)
    params = {name: torch.stack([dict(net.named_parameters())[name].detach() for net in nets] * L)
              .clone().requires_grad_(True) for name in shapes}
    one_lr, decay = len(set(lrs)) == 1, any(v != 0 for v in wds)
    lr_r = torch.tensor([v for v in lrs for _ in seeds], dtype=X.dtype if X.is_floating_point() else torch.float32,
                        device=device)
    wd_r = torch.tensor([v for v in wds for _ in seeds], dtype=lr_r.dtype, device=device)
    seed_of_run = torch.arange(R, device=device) % K

    def one_loss(p: dict[str, torch.Tensor], Xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        out = torch.func.functional_call(template, p, (Xb,))
        if reshape_y:
            yb = yb.reshape(out.shape)
        return loss(out, yb).mean(), out

    def outputs(p: dict[str, torch.Tensor], Xb: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(template, p, (Xb,))

    batched_loss = torch.func.vmap(one_loss, in_dims=(0, 0, 0), randomness="different")
    # Small layered models (Linear, Flatten and elementwise activations) trained on minibatches
    # skip vmap: the same products written as batched matrix products cost far less per step.
    # (On full batches of a few hundred points vmap's kernels are as fast, so it keeps them.)
    stack = _layer_stack(template) if batch_size is not None else None
    elementwise_loss = _elementwise(loss, per_example) if stack is not None else None
    if stack is not None and elementwise_loss is not None:
        def batched_loss(p: dict[str, torch.Tensor], Xb: torch.Tensor, yb: torch.Tensor):  # noqa: F811
            out = _stack_forward(stack, p, Xb)
            if reshape_y:
                yb = yb.reshape(out.shape)
            per = elementwise_loss(out.flatten(0, 1), yb.flatten(0, 1))
            return per.reshape(out.shape[0], -1).mean(dim=1), out

        def outputs_all(p: dict[str, torch.Tensor], Xe: torch.Tensor, shared: bool) -> torch.Tensor:
            return _stack_forward(stack, p, Xe.expand(R, *Xe.shape) if shared else Xe)
    else:
        def outputs_all(p: dict[str, torch.Tensor], Xe: torch.Tensor, shared: bool) -> torch.Tensor:
            return torch.func.vmap(outputs, in_dims=(0, None if shared else 0))(p, Xe)
    fast = _fast_correct(metric)
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    records: dict[str, list[torch.Tensor]] = {"train_loss": [], "train_score": [], "val_loss": [], "val_score": []}
    step_losses: list[torch.Tensor] = []
    step_val_losses: list[torch.Tensor] = []

    def evaluate() -> tuple[torch.Tensor, torch.Tensor | None]:
        """Loss (and score) of every run on val_data, in evaluation mode."""
        template.eval()
        with torch.no_grad():
            Xe = Xv[seed_of_run] if val_per_seed else Xv
            out = outputs_all(params, Xe, not val_per_seed).detach()
            ye = yv[seed_of_run] if val_per_seed else yv.expand(R, *yv.shape)
            target = ye.reshape(out.shape) if ye[0].numel() == out[0].numel() and ye[0].shape != out[0].shape \
                else ye
            per = torch.func.vmap(lambda o, t: loss(o, t).mean())(out, target).float()
            score = (_correct(metric, fast, out, ye) / ye.shape[1]).float() if metric is not None else None
        template.train()
        return per, score

    template.train()
    for _ in range(num_epochs):
        if batch_size is None:
            starts, order = [0], None
        else:
            order = torch.stack([torch.randperm(n, generator=g) for g in gens]).to(device)[seed_of_run]  # (R, n)
            starts = range(0, n, batch_size)
        loss_sum = torch.zeros(R, dtype=torch.float64, device=device)
        correct = torch.zeros(R, dtype=torch.float64, device=device)
        for start in starts:
            if order is None:
                Xb = (X[seed_of_run] if per_seed else X.expand(R, *X.shape))
                yb = (y[seed_of_run] if per_seed else y.expand(R, *y.shape))
            else:
                idx = order[:, start:start + batch_size]  # (R, B): each run's own minibatch
                if per_seed:
                    Xb, yb = X[seed_of_run[:, None], idx], y[seed_of_run[:, None], idx]
                else:
                    flat = idx.reshape(-1)
                    Xb = X.index_select(0, flat).reshape(*idx.shape, *X.shape[1:])
                    yb = y.index_select(0, flat).reshape(*idx.shape, *y.shape[1:])
            losses, out = batched_loss(params, Xb, yb)
            grads = torch.autograd.grad(losses.sum(), list(params.values()))
            with torch.no_grad():  # p <- p - lr * (grad + weight_decay * p), in place
                for (name, p), g in zip(params.items(), grads):
                    shape = (R,) + (1,) * (p.ndim - 1)
                    if name.endswith("weight") and decay:
                        g = g.add_(wd_r.reshape(shape) * p)
                    if one_lr:
                        p.add_(g, alpha=-lrs[0])
                    else:
                        p.sub_(g.mul_(lr_r.reshape(shape)))
            b = yb.shape[1]
            loss_sum += losses.detach().double() * b
            if record_steps:
                step_losses.append(losses.detach().clone())
                if val_data is not None:
                    step_val_losses.append(evaluate()[0])
            if metric is not None:
                correct += _correct(metric, fast, out.detach(), yb)
        records["train_loss"].append((loss_sum / n).float())
        if metric is not None:
            records["train_score"].append((correct / n).float())
        if val_data is not None:
            per, score = evaluate()
            records["val_loss"].append(per)
            if score is not None:
                records["val_score"].append(score)

    def part(name: str, i: int) -> torch.Tensor | None:
        if not records[name]:
            return None
        return torch.stack(records[name])[:, i * K:(i + 1) * K].cpu()

    results = []
    for i in range(L):
        results.append(SeedRuns(
            seeds=seeds, lr=lrs[i], weight_decay=wds[i],
            train_loss=part("train_loss", i), train_score=part("train_score", i),
            val_loss=part("val_loss", i), val_score=part("val_score", i),
            step_loss=torch.stack(step_losses)[:, i * K:(i + 1) * K].cpu() if record_steps else None,
            step_val_loss=torch.stack(step_val_losses)[:, i * K:(i + 1) * K].cpu() if step_val_losses else None,
            params={name: p[i * K:(i + 1) * K].detach().clone().cpu() for name, p in params.items()},
            _template=template,
        ))
    return results if several else results[0]
