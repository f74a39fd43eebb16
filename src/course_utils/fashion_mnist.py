"""Fashion-MNIST: finding, verifying, downloading and reading the files, and its loaders.

Everything about the data set is here: the label names
(:data:`FASHION_MNIST_LABELS`, :func:`get_fashion_mnist_labels`), d2l's
:func:`load_data_fashion_mnist`, the validation split
(:func:`fashion_mnist_val_indices`, :func:`load_fashion_mnist_splits`),
torchvision's per-image pipeline over the same files
(:func:`fashion_mnist_torchvision`) and the files themselves
(:func:`find_fashion_mnist`, :func:`read_fashion_mnist`).
Introduced in section 2.1 (The Fashion-MNIST dataset).

The four files are the standard IDX files of Zalando's Fashion-MNIST
(Xiao, Rasul and Vollgraf, 2017).  They are looked for in this order:

1. the directory named by the environment variable ``COURSE_DATA_DIR``;
2. the course's cache directory (``data/`` of a checkout of the course
   repository, otherwise a per-user cache directory, as on Colab), and its
   subdirectory ``fashion-mnist/``, where downloads are written;
3. ``/usr/share/datasets/fashion-mnist/``, where the Debian package
   ``dataset-fashion-mnist`` puts them;
4. otherwise they are downloaded from the public mirrors into the cache.

Every file, compressed (``.gz``) or not, is checked against the SHA-256 of its
*decompressed* bytes, so a truncated or corrupt file is never trained on.
"""

from __future__ import annotations

import gzip
import hashlib
import numbers
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch.utils import data as torch_data

from . import _checks
from .data import TensorLoader, _check_resize, _generator

__all__ = [
    "DatasetError",
    "DEBIAN_FASHION_MNIST_DIR",
    "FASHION_MNIST_FILES",
    "FASHION_MNIST_LABELS",
    "FASHION_MNIST_MIRRORS",
    "cache_dir",
    "fashion_mnist_torchvision",
    "fashion_mnist_val_indices",
    "find_fashion_mnist",
    "get_fashion_mnist_labels",
    "load_data_fashion_mnist",
    "load_fashion_mnist_splits",
    "read_fashion_mnist",
]


class DatasetError(RuntimeError):
    """A dataset is missing, incomplete or corrupt; the message names the file and the fixes.

    Introduced in section 2.1.

    >>> raise DatasetError("train-images-idx3-ubyte.gz is corrupt: delete it and run again")
    Traceback (most recent call last):
    ...
    course_utils.fashion_mnist.DatasetError: train-images-idx3-ubyte.gz is corrupt: delete it and run again
    """


@dataclass(frozen=True)
class IdxFile:
    """One IDX file of the dataset: its name and its decompressed content."""

    name: str
    sha256: str
    size: int


#: The four files, with the SHA-256 and size of their decompressed bytes.
FASHION_MNIST_FILES: dict[str, IdxFile] = {
    "train_images": IdxFile(
        "train-images-idx3-ubyte",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        47_040_016,
    ),
    "train_labels": IdxFile(
        "train-labels-idx1-ubyte",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        60_008,
    ),
    "test_images": IdxFile(
        "t10k-images-idx3-ubyte",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        7_840_016,
    ),
    "test_labels": IdxFile(
        "t10k-labels-idx1-ubyte",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        10_008,
    ),
}

#: Public mirrors of the ``.gz`` files, tried in order.
FASHION_MNIST_MIRRORS: tuple[str, ...] = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)

#: Where the Debian package ``dataset-fashion-mnist`` installs the files.
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

_SUBDIR = "fashion-mnist"


def cache_dir() -> Path:
    """Return the directory where ``course_utils`` caches datasets.

    ``COURSE_DATA_DIR`` wins when it is set.  Otherwise, when the package runs
    from a checkout of the course repository (an editable install), it is the
    repository's ``data/`` folder; anywhere else (for example on Colab) it is
    ``$XDG_CACHE_HOME/course_utils`` (``~/.cache/course_utils`` by default).
    Introduced in section 2.1.

    >>> cache_dir().name in {"data", "course_utils"} or "COURSE_DATA_DIR" in os.environ
    True
    """
    env = os.environ.get("COURSE_DATA_DIR")
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parents[2]
    if (repo / "_config.yml").is_file() and (repo / "data").is_dir():
        return repo / "data"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "course_utils"


def _candidates(name: str, directory: Path) -> list[Path]:
    """The paths under which ``name`` may lie in ``directory``."""
    paths = []
    for base in (directory, directory / _SUBDIR):
        paths += [base / name, base / f"{name}.gz"]
    return paths


def _read_bytes(path: Path) -> bytes:
    """Return the decompressed bytes of ``path`` (``.gz`` or raw)."""
    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as f:
                return f.read()
        except (OSError, EOFError) as e:
            raise DatasetError(
                f"{path} is not a complete gzip file ({e}). It is probably truncated "
                "or corrupt: delete it and run again so that it is fetched anew."
            ) from e
    return path.read_bytes()


def _verify(path: Path, spec: IdxFile) -> bytes:
    """Read ``path`` and check it against ``spec``; return its decompressed bytes."""
    data = _read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != spec.size or digest != spec.sha256:
        raise DatasetError(
            f"{path} is corrupt: expected {spec.size:,} decompressed bytes with SHA-256 "
            f"{spec.sha256}, got {len(data):,} bytes with SHA-256 {digest}. Delete the "
            "file (or fix COURSE_DATA_DIR) and run again so that it is fetched anew."
        )
    return data


def _download(spec: IdxFile, target_dir: Path, mirrors: Sequence[str], timeout: float) -> Path:
    """Download ``spec`` into ``target_dir`` from the first mirror that works.

    The file is written to a temporary file in ``target_dir`` and renamed only
    once it is complete and its checksum is right.
    """
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{spec.name}.gz"
    errors = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + f"/{spec.name}.gz"
        fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.name}.", suffix=".part.gz", dir=target_dir)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                shutil.copyfileobj(response, out)
            _verify(tmp, spec)
            os.replace(tmp, target)
            return target
        except (urllib.error.URLError, OSError, DatasetError) as e:
            errors.append(f"{url}: {e}")
        finally:
            tmp.unlink(missing_ok=True)
    raise DatasetError(f"could not download {spec.name}.gz:\n  " + "\n  ".join(errors))


def find_fashion_mnist(
    download: bool = True,
    mirrors: Sequence[str] = FASHION_MNIST_MIRRORS,
    search_dirs: Sequence[Path] | None = None,
    timeout: float = 60.0,
) -> dict[str, Path]:
    """Locate (and if needed download) the four Fashion-MNIST files.

    Returns a mapping from ``"train_images"``, ``"train_labels"``,
    ``"test_images"``, ``"test_labels"`` to the file that holds it.  Each file
    is checked against its SHA-256; a corrupt file raises :class:`DatasetError`
    naming it rather than being skipped.  Introduced in section 2.1.

    In each directory of ``search_dirs`` (default: :func:`cache_dir`, then
    :data:`DEBIAN_FASHION_MNIST_DIR`) a file is looked for under its IDX name,
    raw or with ``.gz``, directly in the directory or in its subdirectory
    ``fashion-mnist/`` (where downloads go); nothing else is guessed.

    >>> sorted(find_fashion_mnist())
    ['test_images', 'test_labels', 'train_images', 'train_labels']
    """
    download = _checks.flag("find_fashion_mnist", "download", download)
    mirrors = _checks.strings("find_fashion_mnist", "mirrors", list(mirrors) if isinstance(mirrors, tuple) else mirrors)
    timeout = _checks.number("find_fashion_mnist", "timeout", timeout, low=0.0, low_open=True)
    if search_dirs is not None:
        if isinstance(search_dirs, (str, Path)) or not isinstance(search_dirs, (list, tuple)):
            raise _checks.fail("find_fashion_mnist", "search_dirs", "None or a list of directories", search_dirs,
                               f"Write [{str(search_dirs)!r}] for one directory.", TypeError)
    if search_dirs is None:
        search_dirs = [cache_dir(), DEBIAN_FASHION_MNIST_DIR]
    found: dict[str, Path] = {}
    for key, spec in FASHION_MNIST_FILES.items():
        for directory in search_dirs:
            path = next((p for p in _candidates(spec.name, Path(directory)) if p.is_file()), None)
            if path is not None:
                found[key] = path
                break
    missing = [k for k in FASHION_MNIST_FILES if k not in found]
    if missing and download:
        target = cache_dir() / _SUBDIR
        errors = []
        for key in missing:
            try:
                found[key] = _download(FASHION_MNIST_FILES[key], target, mirrors, timeout)
            except DatasetError as e:
                errors.append(str(e))
        if errors:
            raise DatasetError(_no_data_message(search_dirs, "\n".join(errors)))
    elif missing:
        raise DatasetError(_no_data_message(search_dirs, "downloading was turned off (download=False)"))
    return found


def _no_data_message(search_dirs: Sequence[Path], detail: str) -> str:
    places = ", ".join(str(d) for d in search_dirs)
    return (
        "Fashion-MNIST was not found and could not be downloaded.\n"
        f"Looked in: {places}.\n"
        f"Download attempt: {detail}\n"
        "Fix it in one of these ways:\n"
        "  1. set the environment variable COURSE_DATA_DIR to a directory that holds the four "
        "IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz);\n"
        "  2. on Debian or Ubuntu, install them with: sudo apt-get install dataset-fashion-mnist;\n"
        "  3. connect to the internet and run again, so that they are downloaded into "
        f"{cache_dir() / _SUBDIR}."
    )


def _decode_idx(data: bytes, path: Path, ndim: int) -> np.ndarray:
    """Decode the bytes of an unsigned-byte IDX file with ``ndim`` dimensions."""
    magic = int.from_bytes(data[:4], "big")
    if magic != 0x0800 + ndim:
        raise DatasetError(f"{path} is not an IDX file of {ndim} dimensions (magic number {magic:#x}).")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape)


def read_fashion_mnist(train: bool, download: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the images (``uint8``, ``(N, 28, 28)``) and labels (``int64``, ``(N,)``) of a split.

    ``train=True`` gives the 60,000 training images, ``False`` the 10,000
    test images; ``download=False`` never touches the network.
    Introduced in section 2.1.

    >>> X, y = read_fashion_mnist(train=False)
    >>> X.shape, y.shape
    (torch.Size([10000, 28, 28]), torch.Size([10000]))
    """
    train = _checks.flag("read_fashion_mnist", "train", train)
    download = _checks.flag("read_fashion_mnist", "download", download)
    files = find_fashion_mnist(download=download)
    prefix = "train" if train else "test"
    images_path, labels_path = files[f"{prefix}_images"], files[f"{prefix}_labels"]
    images = _decode_idx(_verify(images_path, FASHION_MNIST_FILES[f"{prefix}_images"]), images_path, 3)
    labels = _decode_idx(_verify(labels_path, FASHION_MNIST_FILES[f"{prefix}_labels"]), labels_path, 1)
    if images.shape[0] != labels.shape[0]:
        raise DatasetError(
            f"{images_path} holds {images.shape[0]} images but {labels_path} holds "
            f"{labels.shape[0]} labels; the files belong to different splits."
        )
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


#: The ten Fashion-MNIST classes, indexed by label.
FASHION_MNIST_LABELS: tuple[str, ...] = (
    "t-shirt", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
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

    >>> train_iter, test_iter = load_data_fashion_mnist(256)
    >>> X, y = next(iter(train_iter)); X.shape, y.dtype
    (torch.Size([256, 1, 28, 28]), torch.int64)
    """
    batch_size = _checks.positive_int("load_data_fashion_mnist", "batch_size", batch_size)
    size = _check_resize("load_data_fashion_mnist", resize)
    generator = _generator("load_data_fashion_mnist", generator)
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
    return _val_indices("fashion_mnist_val_indices", val_size, seed)


def _val_indices(func: str, val_size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    val_size = _checks.positive_int(func, "val_size", val_size)
    if val_size >= FASHION_MNIST_TRAIN_SIZE:
        raise ValueError(
            f"{func}(): val_size must be smaller than the {FASHION_MNIST_TRAIN_SIZE} training images, got {val_size}."
        )
    seed = _checks.integer(func, "seed", seed)
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

    >>> train_iter, val_iter, test_iter = load_fashion_mnist_splits(256)
    >>> len(train_iter.X), len(val_iter.X), len(test_iter.X)
    (55000, 5000, 10000)
    """
    batch_size = _checks.positive_int("load_fashion_mnist_splits", "batch_size", batch_size)
    size = _check_resize("load_fashion_mnist_splits", resize)
    generator = _generator("load_fashion_mnist_splits", generator)
    train_idx, val_idx = _val_indices("load_fashion_mnist_splits", val_size, seed)
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

    >>> ds = fashion_mnist_torchvision(train=False)
    >>> len(ds), ds[0][1]
    (10000, 9)
    """
    train = _checks.flag("fashion_mnist_torchvision", "train", train)
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
    if isinstance(labels, (str, bytes)) or not hasattr(labels, "__iter__"):
        raise _checks.fail("get_fashion_mnist_labels", "labels", "a sequence or tensor of label indices 0 to 9",
                           labels, error=TypeError)
    if isinstance(labels, torch.Tensor):
        labels = labels.reshape(-1).tolist()
    names = []
    for label in labels:
        if isinstance(label, torch.Tensor) and label.numel() == 1:
            label = label.item()
        if isinstance(label, bool) or not isinstance(label, numbers.Integral):
            if not (isinstance(label, numbers.Real) and float(label).is_integer()):
                raise _checks.fail("get_fashion_mnist_labels", "labels", "label indices 0 to 9", label,
                                   error=TypeError)
        i = int(label)
        if not 0 <= i < len(FASHION_MNIST_LABELS):
            raise ValueError(f"get_fashion_mnist_labels(): Fashion-MNIST labels are 0 to 9, got {i}.")
        names.append(FASHION_MNIST_LABELS[i])
    return names
