"""Bad input to every public helper: a clear TypeError or ValueError that names the function.

Each row is a mistake a learner makes (a wrong type, shape, range, an empty or
non-finite input); the helper must refuse it with a message that names the
function and the argument, never return a silently wrong result.  The counts
per function are in the table ``CASES``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import course_utils as d2l

T = torch.tensor
X4, Y4 = torch.randn(4, 2), torch.tensor([0, 1, 0, 1])
net2 = nn.Linear(2, 2)
sgd2 = torch.optim.SGD(net2.parameters(), lr=0.1)

CASES = [
    # synthetic_data
    ("synthetic_data", lambda: d2l.synthetic_data("2, -3.4", 4.2, 10), TypeError, "w must be a tensor"),
    ("synthetic_data", lambda: d2l.synthetic_data(torch.ones(2, 2), 4.2, 10), ValueError, "one weight per feature"),
    ("synthetic_data", lambda: d2l.synthetic_data(T([1.0, float("nan")]), 4.2, 10), ValueError, "NaN"),
    ("synthetic_data", lambda: d2l.synthetic_data(T([1.0]), float("inf"), 10), ValueError, "b must be a finite"),
    ("synthetic_data", lambda: d2l.synthetic_data(T([1.0]), 0.0, 10.0), TypeError, "num_examples"),
    ("synthetic_data", lambda: d2l.synthetic_data(T([1.0]), 0.0, 10, generator=0), TypeError, "generator"),
    # load_array
    ("load_array", lambda: d2l.load_array(torch.zeros(10, 2), 2), TypeError, "tuple of tensors"),
    ("load_array", lambda: d2l.load_array((torch.zeros(10, 2), torch.zeros(9)), 2), ValueError, "different numbers of rows"),
    ("load_array", lambda: d2l.load_array(([1, 2], torch.zeros(2)), 2), TypeError, r"data_arrays\[0\]"),
    ("load_array", lambda: d2l.load_array((torch.zeros(3),), 0), ValueError, "batch_size"),
    ("load_array", lambda: d2l.load_array((torch.zeros(3),), 2, is_train="yes"), TypeError, "is_train must be True or False"),
    ("load_array", lambda: d2l.load_array((), 2), TypeError, "tuple of tensors"),
    # TensorLoader
    ("TensorLoader", lambda: d2l.TensorLoader(torch.zeros(3), torch.zeros(3), np.int64(0)), ValueError, "batch_size"),
    ("TensorLoader", lambda: d2l.TensorLoader(torch.tensor(1.0), torch.zeros(1), 1), ValueError, "one row per example"),
    ("TensorLoader", lambda: d2l.TensorLoader(torch.zeros(3), torch.zeros(3), 1, shuffle=1), TypeError, "shuffle"),
    ("TensorLoader", lambda: d2l.TensorLoader(torch.zeros(3, 1, 4, 4), torch.zeros(3), 1, resize="8"), TypeError, "resize"),
    # make_moons / moons_splits
    ("make_moons", lambda: d2l.make_moons(0), ValueError, "n_samples"),
    ("make_moons", lambda: d2l.make_moons(10, noise=float("nan")), ValueError, "noise"),
    ("make_moons", lambda: d2l.make_moons(10, noise="0.1"), TypeError, "noise"),
    ("moons_splits", lambda: d2l.moons_splits(sizes=(640, 160)), TypeError, "sizes"),
    ("moons_splits", lambda: d2l.moons_splits(sizes=(640, 160, 0)), ValueError, "sizes"),
    ("moons_splits", lambda: d2l.moons_splits(seed=1.5), TypeError, "seed"),
    # Fashion-MNIST
    ("read_fashion_mnist", lambda: d2l.read_fashion_mnist(train="test"), TypeError, "train must be True or False"),
    ("read_fashion_mnist", lambda: d2l.read_fashion_mnist(True, download="no"), TypeError, "download"),
    ("find_fashion_mnist", lambda: d2l.find_fashion_mnist(search_dirs="/tmp"), TypeError, "search_dirs"),
    ("find_fashion_mnist", lambda: d2l.find_fashion_mnist(mirrors="http://x/"), TypeError, "mirrors"),
    ("find_fashion_mnist", lambda: d2l.find_fashion_mnist(timeout=0), ValueError, "timeout"),
    ("get_fashion_mnist_labels", lambda: d2l.get_fashion_mnist_labels("12"), TypeError, "labels"),
    ("get_fashion_mnist_labels", lambda: d2l.get_fashion_mnist_labels([1.5]), TypeError, "label indices"),
    ("get_fashion_mnist_labels", lambda: d2l.get_fashion_mnist_labels([10]), ValueError, "0 to 9"),
    ("get_fashion_mnist_labels", lambda: d2l.get_fashion_mnist_labels(3), TypeError, "labels"),
    ("load_data_fashion_mnist", lambda: d2l.load_data_fashion_mnist(True), TypeError, "batch_size"),
    ("load_data_fashion_mnist", lambda: d2l.load_data_fashion_mnist(256, generator=42), TypeError, "generator"),
    ("load_fashion_mnist_splits", lambda: d2l.load_fashion_mnist_splits(256, val_size=60000), ValueError, "val_size"),
    ("fashion_mnist_val_indices", lambda: d2l.fashion_mnist_val_indices(-1), ValueError, "val_size"),
    ("fashion_mnist_torchvision", lambda: d2l.fashion_mnist_torchvision("train"), TypeError, "train must be True or False"),
    # models, losses, metrics
    ("linreg", lambda: d2l.linreg([[1.0]], T([[1.0]]), T([0.0])), TypeError, "X must be a tensor"),
    ("linreg", lambda: d2l.linreg(torch.ones(3, 2), torch.ones(3, 1), T([0.0])), ValueError, "cannot be multiplied"),
    ("squared_loss", lambda: d2l.squared_loss(torch.ones(3, 1), torch.ones(4)), ValueError, "same number of values"),
    ("squared_loss", lambda: d2l.squared_loss([1.0], torch.ones(1)), TypeError, "y_hat must be a tensor"),
    ("sgd", lambda: d2l.sgd(torch.ones(2, requires_grad=True), 0.1, 1), TypeError, "list of tensors"),
    ("sgd", lambda: d2l.sgd([torch.ones(2, requires_grad=True)], 0.1, 1), ValueError, "no gradient"),
    ("sgd", lambda: d2l.sgd([torch.ones(2)], float("nan"), 1), ValueError, "lr"),
    ("sgd", lambda: d2l.sgd([torch.ones(2)], 0.1, 0), ValueError, "batch_size"),
    ("accuracy", lambda: d2l.accuracy(T([[0.9], [0.2]]), T([1, 0])), ValueError, "binary_accuracy"),
    ("accuracy", lambda: d2l.accuracy(torch.randn(3, 2), T([1, 0])), ValueError, "disagree in number"),
    ("accuracy", lambda: d2l.accuracy([1, 0], T([1, 0])), TypeError, "y_hat must be a tensor"),
    ("binary_accuracy", lambda: d2l.binary_accuracy(torch.zeros(0), torch.zeros(0)), ValueError, "empty"),
    ("binary_accuracy", lambda: d2l.binary_accuracy(T([0.2, 0.9]), T([0.0, 2.0])), ValueError, "labels 0 and 1"),
    ("binary_accuracy", lambda: d2l.binary_accuracy(T([0.2, float("nan")]), T([0.0, 1.0])), ValueError, "NaN"),
    ("binary_accuracy", lambda: d2l.binary_accuracy(T([0.2]), T([0.0]), threshold="0.5"), TypeError, "threshold"),
    ("Accumulator", lambda: d2l.Accumulator(0), ValueError, "n must be a positive int"),
    ("Accumulator", lambda: d2l.Accumulator(2).add(1), ValueError, "takes 2 values"),
    # training loops
    ("evaluate_accuracy", lambda: d2l.evaluate_accuracy(net2, X4), TypeError, "an \\(X, y\\) pair"),
    ("evaluate_accuracy", lambda: d2l.evaluate_accuracy(net2, []), ValueError, "no examples"),
    ("evaluate_accuracy", lambda: d2l.evaluate_accuracy(net2, [(X4, Y4[:3])]), ValueError, "one row per example"),
    ("evaluate_loss", lambda: d2l.evaluate_loss(net2, [(X4, Y4)], "mse"), TypeError, "loss"),
    ("evaluate_loss", lambda: d2l.evaluate_loss(net2, [(X4, Y4)], nn.CrossEntropyLoss(reduction="sum")), ValueError, "reduction='sum'"),
    ("evaluate_loss", lambda: d2l.evaluate_loss(net2, [(X4, Y4)], lambda a, b: nn.functional.cross_entropy(a, b)), ValueError, "cannot tell a mean from a sum"),
    ("train_epoch_ch3", lambda: d2l.train_epoch_ch3(net2, [(X4, Y4)], nn.CrossEntropyLoss(), 0.1), TypeError, "updater"),
    ("train_epoch_ch3", lambda: d2l.train_epoch_ch3(net2, [(X4, Y4)], None, sgd2), TypeError, "loss"),
    ("train_ch3", lambda: d2l.train_ch3(net2, [(X4, Y4)], [(X4, Y4)], nn.CrossEntropyLoss(), 0, sgd2), ValueError, "num_epochs"),
    ("train_ch3", lambda: d2l.train_ch3(net2, [(X4, Y4)], [(X4, Y4)], nn.CrossEntropyLoss(), 1, sgd2, animate="no"), TypeError, "animate"),
    ("run_epoch", lambda: d2l.run_epoch(net2, [(X4, Y4)], None, None, sgd2), ValueError, "training needs a loss"),
    ("grad_norms", lambda: d2l.grad_norms(lambda x: x), TypeError, "nn.Module"),
    ("grad_norms", lambda: d2l.grad_norms(nn.Linear(2, 2), kind=1), TypeError, "kind"),
    ("grad_norms", lambda: d2l.grad_norms(nn.Linear(2, 2)), ValueError, "no gradient"),
    # Runner
    ("Runner", lambda: d2l.Runner(net2, sgd2, "bce", d2l.binary_accuracy), TypeError, "loss_fn"),
    ("Runner", lambda: d2l.Runner(net2, sgd2, nn.BCELoss(), None), TypeError, "metric"),
    ("Runner", lambda: d2l.Runner(net2, sgd2, nn.BCELoss(), d2l.binary_accuracy, on_epoch_end=3), TypeError, "on_epoch_end"),
    ("Runner.train", lambda: d2l.Runner(net2, sgd2, nn.CrossEntropyLoss(), d2l.accuracy).train("data"), TypeError, "train_set"),
    ("Runner.train", lambda: d2l.Runner(net2, sgd2, nn.CrossEntropyLoss(), d2l.accuracy).train((X4, Y4[:2])), ValueError, "pairs 4 inputs with 2 targets"),
    ("Runner.train", lambda: d2l.Runner(net2, sgd2, nn.CrossEntropyLoss(), lambda p, y: 3.0).train((X4, Y4)), ValueError, "fraction of correct"),
    ("Runner.save_model", lambda: d2l.Runner(net2, sgd2, nn.CrossEntropyLoss(), d2l.accuracy).save_model(3), TypeError, "path"),
    # repeats, display, monitor
    ("compare_paired", lambda: d2l.compare_paired([0.9, 0.8], [0.9, 0.8, 0.7]), ValueError, "same seeds"),
    ("t_interval", lambda: d2l.t_interval([0.9, float("inf")]), ValueError, "non-finite"),
    ("glue", lambda: d2l.glue("acc test", 0.5), ValueError, "identifier"),
    ("TrainingRecorder", lambda: d2l.TrainingRecorder(net2, every=0), ValueError, "every"),
    # plotting
    ("plot", lambda: d2l.plot([1.0, 2.0], legend="loss"), TypeError, "legend must be a list of strings"),
    ("plot", lambda: d2l.plot([1.0, 2.0], fmts=[]), ValueError, "fmts"),
    ("plot", lambda: d2l.plot([1.0, 2.0], figsize=(0, 2)), ValueError, "figsize"),
    ("plot", lambda: d2l.plot(None), ValueError, "X must hold the values"),
    ("Animator", lambda: d2l.Animator(legend="train loss"), TypeError, "legend must be a list of strings"),
    ("Animator", lambda: d2l.Animator(fmts=[]), ValueError, "fmts"),
    ("Animator", lambda: d2l.Animator(nrows=2), ValueError, "nrows must be 1"),
    ("Animator.add", lambda: d2l.Animator(legend=["a", "b"]).add(1, [0.5]), ValueError, "names 2 curves"),
    ("show_images", lambda: d2l.show_images(torch.zeros(2, 4, 4), 1, 2, titles="ab"), TypeError, "titles"),
    ("show_images", lambda: d2l.show_images(torch.zeros(3, 4, 4), 1, 2), ValueError, "do not fit"),
    ("predict_ch3", lambda: d2l.predict_ch3(net2, [(X4, Y4)], n=0), ValueError, "n must be a positive int"),
    ("plot_decision_boundary", lambda: d2l.plot_decision_boundary(lambda P: P[:, 0], X4, T([0.0, 1.0, 2.0, 1.0])), ValueError, "labels 0 and 1"),
    ("plot_decision_boundary", lambda: d2l.plot_decision_boundary(lambda P: P[:, 0], torch.zeros(4, 3), Y4), ValueError, "2-D points"),
    ("plot_decision_boundary", lambda: d2l.plot_decision_boundary(lambda P: P[:, 0], X4, Y4, resolution=0), ValueError, "resolution"),
    ("plot_activation", lambda: d2l.plot_activation(lambda x: x.sum(), "sum"), ValueError, "same shape"),
    ("plot_training_curves", lambda: d2l.plot_training_curves({"epoch": [1]}), ValueError, "no key ending"),
    ("set_figsize", lambda: d2l.set_figsize(3), TypeError, "figsize"),
    ("try_gpu", lambda: d2l.try_gpu(-1), ValueError, "i must be an int >= 0"),
    ("get_k_fold_data", lambda: d2l.get_k_fold_data(5, 5, X4, Y4), ValueError, "below k=5"),
    ("get_k_fold_data", lambda: d2l.get_k_fold_data(8, 0, X4, Y4), ValueError, "cannot make 8 folds"),
    ("plot_confusion_matrix", lambda: d2l.plot_confusion_matrix(torch.eye(3), "abc"), TypeError, "labels"),
]


@pytest.mark.parametrize("func, call, error, match", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_gets_a_clear_error(func, call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert func.split(".")[0] in str(info.value), f"the message must name {func}: {info.value}"


def test_every_public_function_is_probed():
    probed = {c[0].split(".")[0] for c in CASES}
    exempt = {  # no argument that can be wrong, or a class whose constructor takes none
        "Timer", "use_svg_display", "try_all_gpus", "cache_dir", "FASHION_MNIST_LABELS", "DatasetError",
        "Interval", "PairedComparison", "run_seeds", "wilson_interval", "mode_fraction", "plot_runs",
        "SignTest", "sign_test", "holm", "SeedRuns", "train_seeds",
    }  # (the repeats and seeds helpers have their own error-path tests in test_repeats.py and test_seeds.py)
    missing = set(d2l.__all__) - probed - exempt
    assert not missing, f"public names without a bad-input case: {sorted(missing)}"
