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


def _weight_decay_run(lib: types.ModuleType, lambd: float, data: dict) -> tuple[float, float, float]:
    """d2l 0.17 section 4.5's from-scratch training (l2_penalty, linreg, squared_loss, sgd),
    written with the book's calls on ``lib`` (d2l or course_utils); returns
    (train loss, test loss, |w|) after the epochs."""
    w = data["w0"].clone().requires_grad_(True)
    b = torch.zeros(1, requires_grad=True)

    def net(X: torch.Tensor) -> torch.Tensor:
        return lib.linreg(X, w, b)

    def l2_penalty(w: torch.Tensor) -> torch.Tensor:
        return torch.sum(w.pow(2)) / 2

    loss = lib.squared_loss
    train_iter = lib.load_array(data["train"], 5, is_train=False)
    test_iter = lib.load_array(data["test"], 5, is_train=False)
    for _ in range(20):
        for X, y in train_iter:
            l = loss(net(X), y) + lambd * l2_penalty(w)
            l.sum().backward()
            lib.sgd([w, b], 0.003, 5)
    return lib.evaluate_loss(net, train_iter, loss), lib.evaluate_loss(net, test_iter, loss), float(w.detach().norm())


@pytest.mark.parametrize("lambd", [0.0, 3.0])
def test_weight_decay_from_scratch_matches_d2l(lambd: float) -> None:
    """The book's section 4.5 (d = 200, 20 training examples) gives the same numbers with both packages."""
    gen = torch.Generator().manual_seed(0)
    true_w, true_b = torch.ones((200, 1)) * 0.01, 0.05  # a column of weights, as the book passes it
    train = course_utils.synthetic_data(true_w, true_b, 20, generator=gen)
    test = course_utils.synthetic_data(true_w, true_b, 100, generator=gen)
    data = {"train": train, "test": test, "w0": torch.normal(0, 1, size=(200, 1), generator=gen)}
    ours = _weight_decay_run(course_utils, lambd, data)
    theirs = _weight_decay_run(d2l, lambd, data)
    assert ours == pytest.approx(theirs, rel=1e-5)
    # d2l's own synthetic_data accepts the same column; ours gives the same shapes.
    X_d2l, y_d2l = d2l.synthetic_data(true_w, true_b, 20)
    assert X_d2l.shape == train[0].shape and y_d2l.shape == train[1].shape
    if lambd:
        assert ours[2] < 0.5 * _weight_decay_run(course_utils, 0.0, data)[2], "weight decay must shrink w"


def test_book_calls_of_sections_4_4_and_4_6_run() -> None:
    """d2l 4.4's Animator/evaluate_loss/train_epoch_ch3 calls and 4.6's train_ch3 call, as written in the book."""
    animator = course_utils.Animator(xlabel="epoch", ylabel="loss", yscale="log", xlim=[1, 3],
                                     ylim=[1e-3, 1e2], legend=["train", "test"])
    torch.manual_seed(0)
    features = torch.randn(40, 4)
    labels = features @ torch.tensor([[1.0], [-2.0], [0.5], [0.0]]) + 0.1
    net = nn.Sequential(nn.Linear(4, 1, bias=False))
    loss = nn.MSELoss(reduction="none")
    train_iter = course_utils.load_array((features[:20], labels[:20]), 10)
    test_iter = course_utils.load_array((features[20:], labels[20:]), 10, is_train=False)
    trainer = torch.optim.SGD(net.parameters(), lr=0.01)
    for epoch in range(3):
        course_utils.train_epoch_ch3(net, train_iter, loss, trainer)
        animator.add(epoch + 1, (course_utils.evaluate_loss(net, train_iter, loss),
                                 course_utils.evaluate_loss(net, test_iter, loss)))
    assert len(animator.Y) == 2 and len(animator.Y[0]) == 3 and animator.Y[0][-1] < animator.Y[0][0]
    # Section 4.6: the two-hidden-layer MLP with dropout, trained by train_ch3 with the book's call.
    X = torch.rand(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                        nn.Linear(256, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))
    it = course_utils.TensorLoader(X, y, 16, shuffle=True)
    history = course_utils.train_ch3(mlp, it, it, nn.CrossEntropyLoss(reduction="none"), 2,
                                     torch.optim.SGD(mlp.parameters(), lr=0.5))
    assert len(history["test_acc"]) == 2
