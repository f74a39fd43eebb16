"""Parity with the d2l package: ``course_utils.train_epoch_ch3`` computes what d2l's does.

The course promises that ``import course_utils as d2l`` runs the book's code
with the same results (issue 6).  Here both training loops run one after the
other on the same fixed data (the first 3,000 training images, no shuffling),
from the same initial weights, once with a torch optimizer (``nn.Module`` +
``torch.optim.SGD``, as in d2l section 3.7) and once with a custom updater
(a from-scratch model + each package's own ``sgd``, as in d2l section 3.6).
The average loss, the accuracy and the trained weights must agree to float
tolerance, epoch after epoch.

d2l 0.17.6 is installed with ``--no-deps`` (see the Makefile); it imports
pandas at import time but never uses it in chapters 3-4, so where pandas is
missing a placeholder module stands in for it while d2l is imported.
"""

from __future__ import annotations

import copy
import importlib
import sys
import types

import pytest
import torch
from torch import nn

import course_utils

N_IMAGES = 3_000
BATCH_SIZE = 256
LR = 0.1
EPOCHS = 2
# Both loops run the same float32 operations in the same order, so the results
# are in practice bit-identical; the tolerance only allows for reordered sums.
RTOL, ATOL = 1e-6, 1e-7


def _import_d2l() -> types.ModuleType:
    """Import ``d2l.torch``, standing in for pandas only while it is imported, if pandas is missing."""
    try:
        return importlib.import_module("d2l.torch")
    except ModuleNotFoundError as e:
        if e.name != "pandas":
            raise
    placeholder = types.ModuleType("pandas")
    placeholder.__doc__ = "Placeholder: pandas is not installed (d2l only needs it after chapter 4)."
    sys.modules["pandas"] = placeholder
    try:
        return importlib.import_module("d2l.torch")
    finally:
        if sys.modules.get("pandas") is placeholder:
            del sys.modules["pandas"]


# d2l's train_epoch_ch3 calls float() on a loss that requires grad, which recent torch warns about.
pytestmark = [pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True:UserWarning")]
try:
    d2l = _import_d2l()
except ImportError as e:  # d2l itself, or one of its other imports, is missing
    pytestmark.append(pytest.mark.skip(reason=f"d2l is not importable ({e}); install it with: pip install --no-deps d2l==0.17.6"))
    d2l = None


@pytest.fixture(scope="module")
def subset() -> tuple[torch.Tensor, torch.Tensor]:
    """The first 3,000 training images (float32 in [0, 1], shape (N, 1, 28, 28)) and labels."""
    images, labels = course_utils.read_fashion_mnist(train=True, download=False)
    X = images[:N_IMAGES].unsqueeze(1).to(torch.float32).div_(255.0)
    return X, labels[:N_IMAGES].clone()


def _loaders(X: torch.Tensor, y: torch.Tensor) -> tuple[object, object]:
    """Unshuffled batches: course_utils' TensorLoader and d2l's own DataLoader over the same tensors."""
    ours = course_utils.TensorLoader(X, y, BATCH_SIZE, shuffle=False)
    theirs = d2l.load_array((X, y), BATCH_SIZE, is_train=False)
    return ours, theirs


def _assert_same(ours: tuple[float, float], theirs: tuple[float, float], epoch: int) -> None:
    (loss_a, acc_a), (loss_b, acc_b) = ours, theirs
    assert loss_a == pytest.approx(loss_b, rel=RTOL, abs=ATOL), f"epoch {epoch}: loss {loss_a!r} vs d2l {loss_b!r}"
    assert acc_a == pytest.approx(acc_b, rel=RTOL, abs=ATOL), f"epoch {epoch}: accuracy {acc_a!r} vs d2l {acc_b!r}"


def test_loaders_give_the_same_batches(subset: tuple[torch.Tensor, torch.Tensor]) -> None:
    ours, theirs = _loaders(*subset)
    assert len(ours) == len(theirs) == -(-N_IMAGES // BATCH_SIZE)
    for (Xa, ya), (Xb, yb) in zip(ours, theirs):
        assert torch.equal(Xa, Xb) and torch.equal(ya, yb)


@pytest.mark.parametrize("hidden", [0, 32], ids=["softmax", "mlp"])
def test_torch_optimizer_matches_d2l(subset: tuple[torch.Tensor, torch.Tensor], hidden: int) -> None:
    """nn.Module + torch.optim.SGD + CrossEntropyLoss(reduction='none'), as in d2l 3.7 and 4.3."""
    torch.manual_seed(0)
    if hidden:
        net_a = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    else:
        net_a = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    for m in net_a:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
    net_b = copy.deepcopy(net_a)  # same initial weights, separate parameters
    loss = nn.CrossEntropyLoss(reduction="none")
    opt_a = torch.optim.SGD(net_a.parameters(), lr=LR)
    opt_b = torch.optim.SGD(net_b.parameters(), lr=LR)
    ours, theirs = _loaders(*subset)
    losses = []
    for epoch in range(1, EPOCHS + 1):
        result_a = course_utils.train_epoch_ch3(net_a, ours, loss, opt_a)
        losses.append(result_a[0])
        result_b = d2l.train_epoch_ch3(net_b, theirs, loss, opt_b)
        _assert_same(result_a, result_b, epoch)
        acc_a = course_utils.evaluate_accuracy(net_a, ours)
        acc_b = d2l.evaluate_accuracy(net_b, theirs)
        assert acc_a == pytest.approx(acc_b, rel=RTOL, abs=ATOL), f"epoch {epoch}: evaluate_accuracy differs"
    for (name, p_a), p_b in zip(net_a.state_dict().items(), net_b.state_dict().values()):
        torch.testing.assert_close(p_a, p_b, rtol=RTOL, atol=ATOL, msg=f"parameter {name} differs")
    assert losses[-1] < losses[0], "the model did not learn: the comparison would be vacuous"


def test_custom_updater_matches_d2l(subset: tuple[torch.Tensor, torch.Tensor]) -> None:
    """From-scratch softmax regression + each package's own sgd (summed loss), as in d2l 3.6."""
    gen = torch.Generator().manual_seed(0)
    W0, b0 = torch.normal(0, 0.01, size=(784, 10), generator=gen), torch.zeros(10)

    def make_model() -> tuple[object, list[torch.Tensor]]:
        W, b = W0.clone().requires_grad_(True), b0.clone().requires_grad_(True)

        def net(X: torch.Tensor) -> torch.Tensor:
            X_exp = torch.exp(X.reshape((-1, W.shape[0])) @ W + b)
            return X_exp / X_exp.sum(1, keepdim=True)

        return net, [W, b]

    def cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -torch.log(y_hat[range(len(y_hat)), y])

    net_a, params_a = make_model()
    net_b, params_b = make_model()
    ours, theirs = _loaders(*subset)
    for epoch in range(1, EPOCHS + 1):
        result_a = course_utils.train_epoch_ch3(net_a, ours, cross_entropy, lambda n: course_utils.sgd(params_a, LR, n))
        result_b = d2l.train_epoch_ch3(net_b, theirs, cross_entropy, lambda n: d2l.sgd(params_b, LR, n))
        _assert_same(result_a, result_b, epoch)
    for name, p_a, p_b in zip("Wb", params_a, params_b):
        torch.testing.assert_close(p_a.detach(), p_b.detach(), rtol=RTOL, atol=ATOL, msg=f"parameter {name} differs")
    assert result_a[1] > 0.5, "the model did not learn: the comparison would be vacuous"
