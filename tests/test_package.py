"""The public API: d2l's names and signatures, lazy imports, metadata."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import course_utils

#: The d2l 0.17 names (chapters 3-4) and their parameters, which learners'
#: code relies on.  Our functions may add keyword parameters after these.
D2L_SIGNATURES = {
    "synthetic_data": ["w", "b", "num_examples"],
    "linreg": ["X", "w", "b"],
    "squared_loss": ["y_hat", "y"],
    "sgd": ["params", "lr", "batch_size"],
    "load_array": ["data_arrays", "batch_size", "is_train"],
    "get_fashion_mnist_labels": ["labels"],
    "show_images": ["imgs", "num_rows", "num_cols", "titles", "scale"],
    "load_data_fashion_mnist": ["batch_size", "resize"],
    "accuracy": ["y_hat", "y"],
    "evaluate_accuracy": ["net", "data_iter"],
    "Accumulator": ["n"],
    "train_epoch_ch3": ["net", "train_iter", "loss", "updater"],
    "train_ch3": ["net", "train_iter", "test_iter", "loss", "num_epochs", "updater"],
    "predict_ch3": ["net", "test_iter", "n"],
    "evaluate_loss": ["net", "data_iter", "loss"],
    "Animator": ["xlabel", "ylabel", "legend", "xlim", "ylim", "xscale", "yscale", "fmts", "nrows", "ncols", "figsize"],
    "plot": ["X", "Y", "xlabel", "ylabel", "legend", "xlim", "ylim", "xscale", "yscale", "fmts", "figsize", "axes"],
    "set_figsize": ["figsize"],
    "use_svg_display": [],
    "Timer": [],
    "try_gpu": ["i"],
    "try_all_gpus": [],
}


@pytest.mark.parametrize("name", sorted(D2L_SIGNATURES))
def test_d2l_names_and_parameters(name):
    obj = getattr(course_utils, name)
    params = list(inspect.signature(obj).parameters)
    expected = D2L_SIGNATURES[name]
    assert params[: len(expected)] == expected
    assert name in course_utils.__all__


def test_signatures_match_the_installed_d2l():
    d2l = pytest.importorskip("d2l.torch", reason="d2l 0.17.6 is not installed (pip install --no-deps d2l==0.17.6)")
    for name, expected in D2L_SIGNATURES.items():
        theirs = [p for p in inspect.signature(getattr(d2l, name)).parameters]
        assert theirs == expected, f"{name}: d2l has {theirs}"


def test_all_names_exist_and_have_docstrings():
    for name in course_utils.__all__:
        obj = getattr(course_utils, name)
        if callable(obj):
            assert obj.__doc__ and len(obj.__doc__.strip()) > 20, f"{name} needs a docstring"
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        course_utils.nope  # noqa: B018


def test_import_does_not_load_matplotlib():
    code = "import sys, course_utils; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_version_matches_the_package_metadata():
    from importlib.metadata import version

    assert version("course_utils") == course_utils.__version__


PUBLIC_CALLABLES = sorted(n for n in course_utils.__all__ if callable(getattr(course_utils, n)))


@pytest.mark.parametrize("name", PUBLIC_CALLABLES)
def test_every_public_helper_has_an_example_and_names_its_section(name):
    doc = inspect.getdoc(getattr(course_utils, name)) or ""
    assert ">>>" in doc, f"{name}: the docstring needs one example (run as a doctest by make test)"
    assert "section" in doc.lower(), f"{name}: the docstring must name the section that introduces it"


def test_lazy_plot_names_are_the_plotting_module_s():
    from course_utils import plotting

    assert set(course_utils._PLOTTING) == set(plotting.__all__)


def test_every_module_s_all_is_exported():
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(course_utils.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"course_utils.{info.name}")
        missing = set(getattr(module, "__all__", [])) - set(course_utils.__all__)
        missing -= {"DEBIAN_FASHION_MNIST_DIR", "FASHION_MNIST_FILES", "FASHION_MNIST_MIRRORS", "GLUE_MIME_PREFIX"}
        assert not missing, f"course_utils.{info.name} defines {sorted(missing)} but the package does not export them"
