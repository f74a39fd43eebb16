"""Finding, verifying, downloading and decoding the Fashion-MNIST files.

Introduced in section 2.1 (The Fashion-MNIST dataset).

The four files are the standard IDX files of Zalando's Fashion-MNIST
(Xiao, Rasul and Vollgraf, 2017).  They are looked for in this order:

1. the directory named by the environment variable ``COURSE_DATA_DIR``;
2. the course's cache directory (``data/`` of a checkout of the course
   repository, otherwise a per-user cache directory, as on Colab);
3. ``/usr/share/datasets/fashion-mnist/``, where the Debian package
   ``dataset-fashion-mnist`` puts them;
4. otherwise they are downloaded from the public mirrors into the cache.

Every file, compressed (``.gz``) or not, is checked against the SHA-256 of its
*decompressed* bytes, so a truncated or corrupt file is never trained on.
"""

from __future__ import annotations

import gzip
import hashlib
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

__all__ = [
    "DatasetError",
    "FASHION_MNIST_FILES",
    "FASHION_MNIST_MIRRORS",
    "DEBIAN_FASHION_MNIST_DIR",
    "cache_dir",
    "find_fashion_mnist",
    "read_fashion_mnist",
]


class DatasetError(RuntimeError):
    """A dataset is missing, incomplete or corrupt."""


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
    naming it rather than being skipped.

    >>> sorted(find_fashion_mnist())  # doctest: +SKIP
    ['test_images', 'test_labels', 'train_images', 'train_labels']
    """
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

    >>> X, y = read_fashion_mnist(train=False)  # doctest: +SKIP
    >>> X.shape, y.shape
    (torch.Size([10000, 28, 28]), torch.Size([10000]))
    """
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
