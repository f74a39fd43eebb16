"""Generic data sets and minibatch iterators used throughout the course.

* :func:`synthetic_data` and :func:`load_array`: sections 1.2 and 1.3.
* :class:`TensorLoader`: section 2.1.
* :func:`make_moons` and :func:`moons_splits`: section 3.5.
* :func:`get_k_fold_data`: section 3.7.

Everything about Fashion-MNIST (finding, verifying and reading the files, the
loaders, the validation split, the label names) is in
:mod:`course_utils.fashion_mnist`.
"""

from __future__ import annotations

import math
from typing import Iterator, Sequence

import torch
from torch.nn import functional as F
from torch.utils import data as torch_data

from . import _checks

__all__ = [
    "TensorLoader",
    "get_k_fold_data",
    "load_array",
    "make_moons",
    "moons_splits",
    "synthetic_data",
]


def _generator(func: str, generator: object) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise _checks.fail(func, "generator", "None or a torch.Generator", generator,
                           "e.g. torch.Generator().manual_seed(0).", TypeError)
    return generator


def synthetic_data(
    w: torch.Tensor, b: float, num_examples: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generate ``y = Xw + b + noise`` with ``X ~ N(0, 1)`` and noise ``~ N(0, 0.01^2)``.

    ``w`` is a vector of ``d`` weights, of shape ``(d,)`` or ``(d, 1)`` (d2l's
    section 4.5 passes a column).  Returns ``X`` of shape
    ``(num_examples, d)`` and ``y`` of shape ``(num_examples, 1)``.
    Introduced in section 1.2.

    >>> X, y = synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 1000)
    >>> X.shape, y.shape
    (torch.Size([1000, 2]), torch.Size([1000, 1]))
    >>> synthetic_data(torch.ones((200, 1)) * 0.01, 0.05, 20)[0].shape
    torch.Size([20, 200])
    """
    w = _checks.tensor("synthetic_data", "w", w, dtype=torch.float32)
    if w.ndim == 2 and w.shape[1] == 1:
        w = w.reshape(-1)
    if w.ndim != 1:
        raise ValueError(
            f"synthetic_data(): w must hold one weight per feature, shape (d,) or (d, 1), got shape {tuple(w.shape)}."
        )
    _checks.finite("synthetic_data", "w", w)
    b = _checks.number("synthetic_data", "b", b)
    num_examples = _checks.positive_int("synthetic_data", "num_examples", num_examples)
    generator = _generator("synthetic_data", generator)
    X = torch.normal(0.0, 1.0, (num_examples, len(w)), generator=generator)
    y = X @ w + b
    y += torch.normal(0.0, 0.01, y.shape, generator=generator)
    return X, y.reshape((-1, 1))


def load_array(
    data_arrays: Sequence[torch.Tensor], batch_size: int, is_train: bool = True
) -> torch_data.DataLoader:
    """Wrap tensors in a ``TensorDataset`` and return a ``DataLoader`` over it.

    ``data_arrays`` is a tuple (or list) of tensors with one row per example,
    e.g. ``(features, labels)``.  Shuffles when ``is_train`` is true.
    Introduced in section 1.3.

    >>> X, y = torch.zeros(10, 2), torch.zeros(10, 1)
    >>> len(load_array((X, y), batch_size=4))
    3
    """
    if isinstance(data_arrays, torch.Tensor) or not isinstance(data_arrays, (tuple, list)) or not data_arrays:
        raise _checks.fail("load_array", "data_arrays", "a tuple of tensors such as (features, labels)", data_arrays,
                           "Write load_array((X, y), batch_size).", TypeError)
    for i, t in enumerate(data_arrays):
        if not isinstance(t, torch.Tensor):
            raise _checks.fail("load_array", f"data_arrays[{i}]", "a tensor", t, error=TypeError)
    lengths = {len(t) for t in data_arrays}
    if len(lengths) != 1:
        raise ValueError(
            f"load_array(): the tensors of data_arrays have different numbers of rows {[len(t) for t in data_arrays]}; "
            "each needs one row per example."
        )
    batch_size = _checks.positive_int("load_array", "batch_size", batch_size)
    is_train = _checks.flag("load_array", "is_train", is_train)
    dataset = torch_data.TensorDataset(*data_arrays)
    return torch_data.DataLoader(dataset, batch_size, shuffle=is_train)


def _check_resize(func: str, resize: object) -> tuple[int, int] | None:
    if resize is None:
        return None
    expected = "None, a positive int or a pair (height, width) of positive ints"
    if isinstance(resize, (tuple, list)) and len(resize) == 2:
        size = tuple(resize)
    elif isinstance(resize, (tuple, list, str)):
        raise _checks.fail(func, "resize", expected, resize, error=TypeError)
    else:
        size = (resize, resize)
    return tuple(_checks.positive_int(func, "resize", s) for s in size)  # type: ignore[return-value]


class TensorLoader:
    """Minibatches of tensors held in memory, by (shuffled) index slicing.

    A drop-in replacement for a ``DataLoader`` over an in-memory data set: it is
    re-iterable, has ``len()`` (the number of batches) and yields ``(X, y)``
    pairs.  With ``shuffle=True`` every pass draws a new permutation, from
    ``generator`` when given, otherwise from torch's global generator (so
    ``torch.manual_seed`` makes it reproducible).  ``resize`` rescales each
    batch of images (``(B, C, H, W)``) with bilinear interpolation.
    Introduced in section 2.1.

    >>> loader = TensorLoader(torch.arange(10.0), torch.arange(10), batch_size=4)
    >>> [len(X) for X, y in loader]
    [4, 4, 2]
    """

    def __init__(
        self,
        X: torch.Tensor,
        y: torch.Tensor,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        resize: int | tuple[int, int] | None = None,
    ) -> None:
        for name, t in (("X", X), ("y", y)):
            if not isinstance(t, torch.Tensor):
                raise _checks.fail("TensorLoader", name, "a tensor", t, error=TypeError)
            if t.ndim == 0:
                raise _checks.fail("TensorLoader", name, "a tensor with one row per example", t)
        if len(X) != len(y):
            raise ValueError(f"TensorLoader(): X and y must hold the same number of examples, got {len(X)} and {len(y)}.")
        self.X, self.y = X, y
        self.batch_size = _checks.positive_int("TensorLoader", "batch_size", batch_size)
        self.shuffle = _checks.flag("TensorLoader", "shuffle", shuffle)
        self.generator = _generator("TensorLoader", generator)
        self.resize = _check_resize("TensorLoader", resize)
        if self.resize is not None and X.ndim != 4:
            raise ValueError(f"TensorLoader(): resize needs images of shape (N, C, H, W), got shape {tuple(X.shape)}.")

    def __len__(self) -> int:
        return math.ceil(len(self.X) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n, bs = len(self.X), self.batch_size
        order = torch.randperm(n, generator=self.generator) if self.shuffle else None
        for start in range(0, n, bs):
            if order is None:
                X, y = self.X[start : start + bs], self.y[start : start + bs]
            else:
                idx = order[start : start + bs]
                X, y = self.X.index_select(0, idx), self.y.index_select(0, idx)
            if self.resize is not None:
                X = F.interpolate(X, size=self.resize, mode="bilinear", align_corners=False, antialias=True)
            yield X, y

    def __repr__(self) -> str:
        return (
            f"TensorLoader({len(self.X)} examples, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, resize={self.resize})"
        )


def make_moons(
    n_samples: int = 1000, noise: float = 0.15, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved half circles with Gaussian noise (the "two moons").

    Returns ``X`` (float32, ``(n_samples, 2)``) and ``y`` (float32 0/1,
    ``(n_samples, 1)``, ready for ``BCELoss``), in shuffled order.  Half the
    points (rounded down) lie on the upper moon, labelled 0.
    Introduced in section 3.5.

    >>> X, y = make_moons(100, generator=torch.Generator().manual_seed(0))
    >>> X.shape, y.shape, int(y.sum())
    (torch.Size([100, 2]), torch.Size([100, 1]), 50)
    """
    n_samples = _checks.positive_int("make_moons", "n_samples", n_samples)
    noise = _checks.number("make_moons", "noise", noise, low=0.0)
    generator = _generator("make_moons", generator)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = torch.linspace(0, math.pi, n_out)
    t_in = torch.linspace(0, math.pi, n_in)
    outer = torch.stack([torch.cos(t_out), torch.sin(t_out)], dim=1)
    inner = torch.stack([1 - torch.cos(t_in), 0.5 - torch.sin(t_in)], dim=1)
    X = torch.cat([outer, inner])
    y = torch.cat([torch.zeros(n_out), torch.ones(n_in)])
    order = torch.randperm(n_samples, generator=generator)
    X, y = X[order], y[order]
    X = X + noise * torch.randn(X.shape, generator=generator)
    return X, y.reshape(-1, 1)


def moons_splits(
    n_samples: int = 1000,
    noise: float = 0.15,
    sizes: tuple[int, int, int] = (640, 160, 200),
    seed: int = 0,
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Two moons split into ``"train"``, ``"dev"`` and ``"test"`` sets of ``sizes``.

    The split is reproducible: the same ``seed`` gives the same points.  The
    default noise, 0.15, is the setting of section 3.5, which chapter 4 reuses.
    Introduced in section 3.5.

    >>> splits = moons_splits()
    >>> {k: len(v[0]) for k, v in splits.items()}
    {'train': 640, 'dev': 160, 'test': 200}
    """
    n_samples = _checks.positive_int("moons_splits", "n_samples", n_samples)
    seed = _checks.integer("moons_splits", "seed", seed)
    if not isinstance(sizes, (tuple, list)) or len(sizes) != 3:
        raise _checks.fail("moons_splits", "sizes", "three counts (train, dev, test)", sizes, error=TypeError)
    sizes = tuple(_checks.positive_int("moons_splits", "sizes", n) for n in sizes)
    if sum(sizes) != n_samples:
        raise ValueError(f"moons_splits(): sizes {sizes} add up to {sum(sizes)}, not to n_samples={n_samples}.")
    X, y = make_moons(n_samples, noise, generator=torch.Generator().manual_seed(seed))
    a, b = sizes[0], sizes[0] + sizes[1]
    return {"train": (X[:a], y[:a]), "dev": (X[a:b], y[a:b]), "test": (X[b:], y[b:])}


def get_k_fold_data(
    k: int, i: int, X: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Fold ``i`` of ``k`` for K-fold cross-validation: ``X_train, y_train, X_valid, y_valid``.

    The examples are cut, in their order, into ``k`` folds of ``len(X) // k``
    examples; fold ``i`` is the validation part and the other folds, joined,
    are the training part.  As in d2l, the last ``len(X) % k`` examples are
    left out, so shuffle the data first if its order means anything.
    Introduced in section 3.7.

    >>> X, y = torch.arange(10.0).reshape(5, 2), torch.arange(5.0)
    >>> X_train, y_train, X_valid, y_valid = get_k_fold_data(5, 1, X, y)
    >>> y_train.tolist(), y_valid.tolist()
    ([0.0, 2.0, 3.0, 4.0], [1.0])
    """
    k = _checks.integer("get_k_fold_data", "k", k, minimum=2)
    i = _checks.integer("get_k_fold_data", "i", i, minimum=0)
    if i >= k:
        raise ValueError(f"get_k_fold_data(): i must be a fold index below k={k}, got {i}.")
    for name, t in (("X", X), ("y", y)):
        if not isinstance(t, torch.Tensor):
            raise _checks.fail("get_k_fold_data", name, "a tensor", t, error=TypeError)
    if len(X) != len(y):
        raise ValueError(f"get_k_fold_data(): X and y must hold the same number of examples, got {len(X)} and {len(y)}.")
    fold = len(X) // k
    if fold == 0:
        raise ValueError(f"get_k_fold_data(): {len(X)} examples cannot make {k} folds; use a smaller k.")
    held = torch.zeros(len(X), dtype=torch.bool)
    held[i * fold:(i + 1) * fold] = True
    used = torch.arange(len(X)) < k * fold
    return X[used & ~held], y[used & ~held], X[held], y[held]
