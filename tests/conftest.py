"""Shared fixtures of the unit tests.

The tests never touch the network: downloads are tested against an HTTP server
on 127.0.0.1 that serves copies of the real files.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib

# The unit tests draw off screen. Set the backend here, not through the
# environment: the notebook kernels that pytest --nbval starts in the same
# session inherit the environment and must keep Jupyter's inline backend.
matplotlib.use("Agg")

import gzip
import shutil
from pathlib import Path

import pytest
import torch

from course_utils import fashion_mnist as fm


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(scope="session")
def load_script():
    """Import ``scripts/NAME.py`` as a module (the scripts are not a package)."""
    import importlib.util
    import sys

    root = Path(__file__).resolve().parents[1]

    def load(name: str):
        spec = importlib.util.spec_from_file_location(f"course_script_{name}", root / "scripts" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope="session")
def real_files() -> dict[str, Path]:
    """The four verified Fashion-MNIST files found on this machine."""
    return fm.find_fashion_mnist(download=False)


@pytest.fixture
def small_files(tmp_path: Path, real_files: dict[str, Path]) -> Path:
    """A directory with gzip copies of the two small (label) files and the test images."""
    for key in ("train_labels", "test_labels", "test_images"):
        src = real_files[key]
        dst = tmp_path / f"{fm.FASHION_MNIST_FILES[key].name}.gz"
        if src.suffix == ".gz":
            shutil.copy(src, dst)
        else:
            with open(src, "rb") as f, gzip.open(dst, "wb") as g:
                g.write(f.read())
    return tmp_path


@pytest.fixture
def no_data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """COURSE_DATA_DIR pointing at an empty directory."""
    empty = tmp_path / "empty-cache"
    empty.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(empty))
    return empty


@pytest.fixture
def tiny_classification() -> tuple[torch.Tensor, torch.Tensor]:
    """200 linearly separable 4-feature examples in 3 classes."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(200, 4, generator=g)
    y = X[:, :3].argmax(dim=1)
    return X, y
