"""Data sets and minibatch iterators used throughout the course.

* :func:`synthetic_data` and :func:`load_array`: section 1.2 and 1.3.
* :class:`TensorLoader`, :func:`load_data_fashion_mnist`,
  :func:`get_fashion_mnist_labels`, :func:`fashion_mnist_val_indices` and
  :func:`load_fashion_mnist_splits`: section 2.1.
* :func:`make_moons` and :func:`moons_splits`: section 3.5.
"""

from __future__ import annotations

import math
from typing import Iterator, Sequence

import torch
from torch.nn import functional as F
from torch.utils import data as torch_data

from .fashion_mnist import FASHION_MNIST_FILES, _verify, cache_dir, find_fashion_mnist, read_fashion_mnist

__all__ = [
    "FASHION_MNIST_LABELS",
    "TensorLoader",
    "fashion_mnist_torchvision",
    "fashion_mnist_val_indices",
    "load_fashion_mnist_splits",
    "get_fashion_mnist_labels",
    "load_array",
    "load_data_fashion_mnist",
    "make_moons",
    "moons_splits",
    "synthetic_data",
]

#: The ten Fashion-MNIST classes, indexed by label.
FASHION_MNIST_LABELS: tuple[str, ...] = (
    "t-shirt", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
)


def _check_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")
    return value


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
    w = torch.as_tensor(w, dtype=torch.float32)
    if w.ndim == 2 and w.shape[1] == 1:
        w = w.reshape(-1)
    if w.ndim != 1:
        raise ValueError(
            f"synthetic_data(): w must hold one weight per feature, shape (d,) or (d, 1), got shape {tuple(w.shape)}."
        )
    _check_positive_int("num_examples", num_examples)
    X = torch.normal(0.0, 1.0, (num_examples, len(w)), generator=generator)
    y = X @ w + b
    y += torch.normal(0.0, 0.01, y.shape, generator=generator)
    return X, y.reshape((-1, 1))


def load_array(
    data_arrays: Sequence[torch.Tensor], batch_size: int, is_train: bool = True
) -> torch_data.DataLoader:
    """Wrap tensors in a ``TensorDataset`` and return a ``DataLoader`` over it.

    Shuffles when ``is_train`` is true.  Introduced in section 1.3.

    >>> X, y = torch.zeros(10, 2), torch.zeros(10, 1)
    >>> len(load_array((X, y), batch_size=4))
    3
    """
    _check_positive_int("batch_size", batch_size)
    dataset = torch_data.TensorDataset(*data_arrays)
    return torch_data.DataLoader(dataset, batch_size, shuffle=is_train)


def _check_resize(resize: object) -> tuple[int, int] | None:
    if resize is None:
        return None
    if isinstance(resize, int) and not isinstance(resize, bool):
        size = (resize, resize)
    elif isinstance(resize, (tuple, list)) and len(resize) == 2:
        size = tuple(resize)
    else:
        raise ValueError(f"resize must be None, a positive int or a pair of positive ints, got {resize!r}.")
    if not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size):
        raise ValueError(f"resize must be None, a positive int or a pair of positive ints, got {resize!r}.")
    return size  # type: ignore[return-value]


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
        if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
            raise TypeError(f"X and y must be tensors, got {type(X).__name__} and {type(y).__name__}.")
        if len(X) != len(y):
            raise ValueError(f"X and y must hold the same number of examples, got {len(X)} and {len(y)}.")
        self.X, self.y = X, y
        self.batch_size = _check_positive_int("batch_size", batch_size)
        self.shuffle = shuffle
        self.generator = generator
        self.resize = _check_resize(resize)
        if self.resize is not None and X.ndim != 4:
            raise ValueError(f"resize needs images of shape (N, C, H, W), got shape {tuple(X.shape)}.")

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


def load_data_fashion_mnist(
    batch_size: int,
    resize: int | tuple[int, int] | None = None,
    generator: torch.Generator | None = None,
) -> tuple[TensorLoader, TensorLoader]:
    """Return ``(train_iter, test_iter)`` over Fashion-MNIST.

    Same call and batches as d2l's function of that name: ``(X, y)`` with ``X``
    float32 of shape ``(B, 1, 28, 28)`` (or ``resize``) in ``[0, 1]`` and ``y``
    int64 labels.  Unlike d2l, each split is decoded once into memory and
    batches are sliced from it, without per-image transforms or worker
    processes; the training split is reshuffled every pass.
    Introduced in section 2.1.

    >>> train_iter, test_iter = load_data_fashion_mnist(256)  # doctest: +SKIP
    >>> X, y = next(iter(train_iter)); X.shape, y.dtype  # doctest: +SKIP
    (torch.Size([256, 1, 28, 28]), torch.int64)
    """
    _check_positive_int("batch_size", batch_size)
    size = _check_resize(resize)
    loaders = []
    for train in (True, False):
        images, labels = read_fashion_mnist(train=train)
        X = images.unsqueeze(1).to(torch.float32).div_(255.0)
        loaders.append(TensorLoader(X, labels, batch_size, shuffle=train, generator=generator, resize=size))
    return loaders[0], loaders[1]


#: Images of the Fashion-MNIST training split.
FASHION_MNIST_TRAIN_SIZE = 60_000


def fashion_mnist_val_indices(val_size: int = 5000, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices ``(train_idx, val_idx)`` that split the 60,000 training images in two.

    ``val_idx`` holds ``val_size`` indices drawn without replacement by a
    generator seeded with ``seed``; ``train_idx`` holds the others.  Both are
    sorted, disjoint, and together cover ``range(60000)``; the same arguments
    always give the same split, on every machine.  Introduced in section 2.1.

    >>> train_idx, val_idx = fashion_mnist_val_indices(5000, seed=0)
    >>> len(train_idx), len(val_idx)
    (55000, 5000)
    """
    _check_positive_int("val_size", val_size)
    if val_size >= FASHION_MNIST_TRAIN_SIZE:
        raise ValueError(
            f"val_size must be smaller than the {FASHION_MNIST_TRAIN_SIZE} training images, got {val_size}."
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}.")
    order = torch.randperm(FASHION_MNIST_TRAIN_SIZE, generator=torch.Generator().manual_seed(seed))
    return order[val_size:].sort().values, order[:val_size].sort().values


def load_fashion_mnist_splits(
    batch_size: int,
    val_size: int = 5000,
    seed: int = 0,
    resize: int | tuple[int, int] | None = None,
    generator: torch.Generator | None = None,
) -> tuple[TensorLoader, TensorLoader, TensorLoader]:
    """Return ``(train_iter, val_iter, test_iter)``: Fashion-MNIST with a validation split.

    ``val_size`` of the 60,000 training images (chosen by ``seed``, see
    :func:`fashion_mnist_val_indices`) are held out as ``val_iter``; the other
    ones form ``train_iter`` (reshuffled every pass); ``test_iter`` is the
    10,000 test images.  Settings are chosen on ``val_iter``; the test set is
    looked at once, at the end.  Batches are as in
    :func:`load_data_fashion_mnist`, which stays d2l's two-loader call.
    Introduced in section 2.1.

    >>> train_iter, val_iter, test_iter = load_fashion_mnist_splits(256)  # doctest: +SKIP
    >>> len(train_iter.X), len(val_iter.X), len(test_iter.X)  # doctest: +SKIP
    (55000, 5000, 10000)
    """
    _check_positive_int("batch_size", batch_size)
    size = _check_resize(resize)
    train_idx, val_idx = fashion_mnist_val_indices(val_size, seed)
    images, labels = read_fashion_mnist(train=True)
    X = images.unsqueeze(1).to(torch.float32).div_(255.0)
    test_images, test_labels = read_fashion_mnist(train=False)
    X_test = test_images.unsqueeze(1).to(torch.float32).div_(255.0)
    return (
        TensorLoader(X[train_idx], labels[train_idx], batch_size, shuffle=True, generator=generator, resize=size),
        TensorLoader(X[val_idx], labels[val_idx], batch_size, shuffle=False, resize=size),
        TensorLoader(X_test, test_labels, batch_size, shuffle=False, resize=size),
    )


def fashion_mnist_torchvision(train: bool, transform: object = None) -> torch_data.Dataset:
    """Return torchvision's ``FashionMNIST`` data set, fed from the verified files.

    This is the classic per-image pipeline (a PIL image per example, then
    ``transform``, e.g. ``ToTensor()``) that d2l's loader is built on; the
    course uses it to compare against :func:`load_data_fashion_mnist`.  The
    files found by :func:`~course_utils.fashion_mnist.find_fashion_mnist` are
    decompressed once into ``cache_dir()/torchvision/FashionMNIST/raw``, where
    torchvision expects them, so no download is attempted.
    Introduced in section 2.1.
    """
    from torchvision import datasets

    root = cache_dir() / "torchvision"
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for key, path in find_fashion_mnist().items():
        spec = FASHION_MNIST_FILES[key]
        target = raw / spec.name
        if not target.is_file() or target.stat().st_size != spec.size:
            tmp = target.with_suffix(".part")
            tmp.write_bytes(_verify(path, spec))
            tmp.replace(target)
    return datasets.FashionMNIST(root=str(root), train=train, transform=transform, download=False)


def get_fashion_mnist_labels(labels: Sequence[int] | torch.Tensor) -> list[str]:
    """Return the text names of Fashion-MNIST label indices. Introduced in section 2.1.

    >>> get_fashion_mnist_labels([0, 9])
    ['t-shirt', 'ankle boot']
    """
    names = []
    for label in labels:
        i = int(label)
        if not 0 <= i < len(FASHION_MNIST_LABELS):
            raise ValueError(f"Fashion-MNIST labels are 0 to 9, got {i}.")
        names.append(FASHION_MNIST_LABELS[i])
    return names


def make_moons(
    n_samples: int = 1000, noise: float = 0.1, generator: torch.Generator | None = None
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
    _check_positive_int("n_samples", n_samples)
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}.")
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
    noise: float = 0.1,
    sizes: tuple[int, int, int] = (640, 160, 200),
    seed: int = 0,
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Two moons split into ``"train"``, ``"dev"`` and ``"test"`` sets of ``sizes``.

    The split is reproducible: the same ``seed`` gives the same points.
    Introduced in section 3.5.

    >>> splits = moons_splits()
    >>> {k: len(v[0]) for k, v in splits.items()}
    {'train': 640, 'dev': 160, 'test': 200}
    """
    if len(sizes) != 3 or sum(sizes) != n_samples or min(sizes) <= 0:
        raise ValueError(f"sizes must be three positive counts that add up to n_samples={n_samples}, got {sizes}.")
    X, y = make_moons(n_samples, noise, generator=torch.Generator().manual_seed(seed))
    a, b = sizes[0], sizes[0] + sizes[1]
    return {"train": (X[:a], y[:a]), "dev": (X[a:b], y[a:b]), "test": (X[b:], y[b:])}
