"""Helper code of the course *PyTorch foundations*.

The names, call signatures and results follow the d2l package (0.17,
chapters 3-4), so code written for that book runs after
``import course_utils as d2l``.  Each helper's docstring names the section of
the course that introduces it.

Plotting (matplotlib) is imported only when a plot helper is first used, so
``import course_utils`` costs little more than ``import torch``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .data import TensorLoader, get_k_fold_data, load_array, make_moons, moons_splits, synthetic_data
from .display import glue
from .fashion_mnist import (
    FASHION_MNIST_LABELS,
    DatasetError,
    cache_dir,
    fashion_mnist_torchvision,
    fashion_mnist_val_indices,
    find_fashion_mnist,
    get_fashion_mnist_labels,
    load_data_fashion_mnist,
    load_fashion_mnist_splits,
    read_fashion_mnist,
)
from .monitor import TrainingRecorder
from .repeats import (
    Interval,
    PairedComparison,
    SignTest,
    compare_paired,
    holm,
    mode_fraction,
    plot_runs,
    run_seeds,
    sign_test,
    t_interval,
    wilson_interval,
)
from .seeds import SeedRuns, train_seeds
from .runner import Runner
from .system import Timer, try_all_gpus, try_gpu
from .training import (
    Accumulator,
    accuracy,
    binary_accuracy,
    evaluate_accuracy,
    evaluate_loss,
    grad_norms,
    linreg,
    run_epoch,
    sgd,
    squared_loss,
    train_ch3,
    train_epoch_ch3,
)

__version__ = "0.1.0"

_PLOTTING = (
    "Animator",
    "plot",
    "plot_activation",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_training_curves",
    "predict_ch3",
    "set_figsize",
    "show_images",
    "use_svg_display",
)

__all__ = [
    "Accumulator",
    "DatasetError",
    "FASHION_MNIST_LABELS",
    "Interval",
    "PairedComparison",
    "Runner",
    "SeedRuns",
    "SignTest",
    "TensorLoader",
    "fashion_mnist_torchvision",
    "Timer",
    "TrainingRecorder",
    "accuracy",
    "binary_accuracy",
    "cache_dir",
    "compare_paired",
    "evaluate_accuracy",
    "evaluate_loss",
    "fashion_mnist_val_indices",
    "find_fashion_mnist",
    "get_fashion_mnist_labels",
    "get_k_fold_data",
    "glue",
    "grad_norms",
    "holm",
    "linreg",
    "load_array",
    "load_data_fashion_mnist",
    "load_fashion_mnist_splits",
    "make_moons",
    "mode_fraction",
    "moons_splits",
    "plot_runs",
    "read_fashion_mnist",
    "run_epoch",
    "run_seeds",
    "sgd",
    "sign_test",
    "squared_loss",
    "synthetic_data",
    "t_interval",
    "train_ch3",
    "train_epoch_ch3",
    "train_seeds",
    "try_all_gpus",
    "try_gpu",
    "wilson_interval",
    *_PLOTTING,
]


def __getattr__(name: str) -> Any:
    """Import the plot helpers (and matplotlib) on first use."""
    if name in _PLOTTING:
        return getattr(import_module(".plotting", __name__), name)
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
