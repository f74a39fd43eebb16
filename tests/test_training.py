"""Models, losses, optimisers and training loops (sections 1.2, 2.2, 3.3, 3.4, 4.2)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import course_utils as d2l


def test_linreg_and_squared_loss():
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    w, b = torch.tensor([[1.0], [-1.0]]), torch.tensor(0.5)
    y_hat = d2l.linreg(X, w, b)
    assert torch.equal(y_hat, torch.tensor([[-0.5], [-0.5]]))
    loss = d2l.squared_loss(y_hat, torch.tensor([0.5, 1.5]))
    assert torch.equal(loss, torch.tensor([[0.5], [2.0]]))
    with pytest.raises(ValueError, match="same number of values"):
        d2l.squared_loss(y_hat, torch.zeros(3))


def test_sgd_steps_and_zeroes_the_gradient():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w * torch.tensor([4.0, 8.0])).sum().backward()
    d2l.sgd([w], lr=0.5, batch_size=4)
    assert torch.equal(w.detach(), torch.tensor([0.5, 1.0]))
    assert torch.equal(w.grad, torch.zeros(2))


def test_sgd_errors():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="call backward\\(\\) on the loss before sgd"):
        d2l.sgd([w], 0.1, 1)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        d2l.sgd([w], 0.1, 0)


def test_accuracy_counts_correct_predictions():
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.5, 0.2, 0.3], [0.1, 0.8, 0.1]])
    assert d2l.accuracy(y_hat, torch.tensor([2, 0, 0])) == 2.0
    assert d2l.accuracy(torch.tensor([1, 2]), torch.tensor([1, 1])) == 1.0
    with pytest.raises(ValueError, match="y_hat has 3 rows, y has 2 labels"):
        d2l.accuracy(y_hat, torch.tensor([0, 1]))


def test_binary_accuracy():
    assert d2l.binary_accuracy(torch.tensor([0.9, 0.1, 0.4, 0.5]), torch.tensor([1.0, 0.0, 1.0, 1.0])) == 0.75
    with pytest.raises(ValueError, match="one value per example"):
        d2l.binary_accuracy(torch.zeros(3), torch.zeros(4))


def test_accumulator():
    metric = d2l.Accumulator(2)
    metric.add(1, 2)
    metric.add(torch.tensor(3.0), 4)
    assert (metric[0], metric[1]) == (4.0, 6.0)
    metric.reset()
    assert metric.data == [0.0, 0.0]
    with pytest.raises(ValueError, match="takes 2 values, got 1"):
        metric.add(1)
    with pytest.raises(ValueError, match="n must be a positive int"):
        d2l.Accumulator(0)


def _softmax_setup(seed: int = 0):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(4, 3))
    loss = nn.CrossEntropyLoss(reduction="none")
    return net, loss


def test_evaluate_accuracy_and_loss(tiny_classification):
    X, y = tiny_classification
    net, loss = _softmax_setup()
    batches = list(d2l.TensorLoader(X, y, 64))
    acc = d2l.evaluate_accuracy(net, batches)
    expected = float((net(X).argmax(1) == y).float().mean())
    assert acc == pytest.approx(expected)
    avg = d2l.evaluate_loss(net, batches, loss)
    assert avg == pytest.approx(float(loss(net(X), y).mean().detach()), rel=1e-6)
    with pytest.raises(ValueError, match="yielded no examples"):
        d2l.evaluate_accuracy(net, [])


def test_evaluate_loss_reshapes_regression_targets():
    net = nn.Linear(2, 1)
    X, y = torch.randn(5, 2), torch.randn(5)
    expected = float(((net(X).reshape(-1) - y) ** 2).mean().detach())
    assert d2l.evaluate_loss(net, [(X, y)], nn.MSELoss(reduction="none")) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("kind", ["optimizer", "custom"])
def test_train_ch3_learns_and_returns_history(tiny_classification, kind):
    X, y = tiny_classification
    net, loss = _softmax_setup()
    train_iter = d2l.TensorLoader(X, y, 20, shuffle=True, generator=torch.Generator().manual_seed(0))
    if kind == "optimizer":
        updater = torch.optim.SGD(net.parameters(), lr=0.5)
    else:
        def updater(batch_size: int) -> None:
            d2l.sgd(list(net.parameters()), 0.5, batch_size)
    history = d2l.train_ch3(net, train_iter, [(X, y)], loss, 5, updater, animate=False)
    assert list(history) == ["epoch", "train_loss", "train_acc", "test_acc"]
    assert history["epoch"] == [1, 2, 3, 4, 5]
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["test_acc"][-1] > 0.9


def test_train_ch3_accepts_a_plain_function(tiny_classification):
    X, y = tiny_classification
    W = torch.zeros(4, 3, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)

    def net(X: torch.Tensor) -> torch.Tensor:
        return X @ W + b

    history = d2l.train_ch3(net, [(X, y)], [(X, y)], nn.CrossEntropyLoss(reduction="none"), 3,
                            lambda n: d2l.sgd([W, b], 1.0, n), device="cpu", animate=False)
    assert history["test_acc"][-1] > 0.8


def test_train_ch3_with_an_animator(tiny_classification, monkeypatch):
    X, y = tiny_classification
    net, loss = _softmax_setup()
    shown = []
    from course_utils import plotting

    original = plotting.Animator.add

    def add(self, x, y):
        original(self, x, y)
        shown.append((self.axes[0].get_title(), self.axes[0].get_xlabel(), len(self.axes[0].get_lines())))

    monkeypatch.setattr(plotting.Animator, "add", add)
    history = d2l.train_ch3(net, [(X, y)], [(X, y)], loss, 2, torch.optim.SGD(net.parameters(), lr=0.1),
                            title="softmax regression")
    assert len(history["train_acc"]) == 2
    assert shown == [("softmax regression", "epoch", 3)] * 2


@pytest.mark.parametrize("epochs, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_train_ch3_rejects_bad_epoch_counts(tiny_classification, epochs, error):
    X, y = tiny_classification
    net, loss = _softmax_setup()
    with pytest.raises(error, match="train_ch3\\(\\): num_epochs must be a positive int"):
        d2l.train_ch3(net, [(X, y)], [(X, y)], loss, epochs, torch.optim.SGD(net.parameters(), 0.1), animate=False)


def test_train_epoch_ch3_error_paths(tiny_classification):
    X, y = tiny_classification
    net, _ = _softmax_setup()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="reduction='sum'"):
        d2l.train_epoch_ch3(net, [(X, y)], nn.CrossEntropyLoss(reduction="sum"), opt)
    with pytest.raises(ValueError, match="cannot tell a mean from a sum"):
        d2l.train_epoch_ch3(net, [(X, y)], lambda y_hat, y: nn.functional.cross_entropy(y_hat, y), opt)
    with pytest.raises(TypeError, match="updater must be a torch optimizer"):
        d2l.train_epoch_ch3(net, [(X, y)], nn.CrossEntropyLoss(reduction="none"), 0.1)
    with pytest.raises(ValueError, match=r"inputs of shape \(4, .*targets of shape \(3,\)"):
        d2l.train_epoch_ch3(net, [(X[:4], y[:3])], nn.CrossEntropyLoss(reduction="none"), opt)
    with pytest.raises(TypeError, match="pairs of tensors"):
        d2l.train_epoch_ch3(net, [(X.numpy(), y)], nn.CrossEntropyLoss(reduction="none"), opt)
    with pytest.raises(ValueError, match="one row of outputs per example"):
        d2l.train_epoch_ch3(lambda X: net(X).sum(), [(X, y)], nn.CrossEntropyLoss(reduction="none"), opt)
    with pytest.raises(RuntimeError):  # wrong input width: torch's own message names the shapes
        d2l.train_epoch_ch3(net, [(torch.zeros(5, 7), y[:5])], nn.CrossEntropyLoss(reduction="none"), opt)


def test_grad_norms_are_gradient_norms():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))
    with pytest.raises(ValueError, match="has no gradient: call backward"):
        d2l.grad_norms(net)
    net(torch.randn(8, 2)).pow(2).mean().backward()
    norms = d2l.grad_norms(net)
    assert list(norms) == ["0.weight", "2.weight"]
    assert norms["0.weight"] == pytest.approx(float(net[0].weight.grad.norm()))
    assert norms["0.weight"] != pytest.approx(float(net[0].weight.detach().norm())), "not the weights' own norm"
    assert list(d2l.grad_norms(net, kind="")) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(ValueError, match="no parameter whose name ends in 'gamma'"):
        d2l.grad_norms(net, kind="gamma")
    with pytest.raises(TypeError, match="must be an nn.Module"):
        d2l.grad_norms(lambda x: x)


def test_timer_and_devices():
    timer = d2l.Timer()
    timer.stop()
    timer.start()
    timer.stop()
    assert len(timer.times) == 2 and timer.sum() >= 0
    assert timer.avg() == pytest.approx(timer.sum() / 2)
    assert timer.cumsum()[-1] == pytest.approx(timer.sum())
    with pytest.raises(ValueError, match="no time recorded"):
        t = d2l.Timer()
        t.times.clear()
        t.avg()
    assert d2l.try_gpu(10_000) == torch.device("cpu")
    assert all(d.type in {"cpu", "cuda", "mps"} for d in d2l.try_all_gpus())


def test_try_gpu_finds_apple_s_mps_device_when_there_is_no_cuda(monkeypatch):
    """What a Mac with Apple silicon reports (mocked here: this machine has no such device)."""
    from course_utils import system

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(system, "_mps_available", lambda: True)
    assert d2l.try_gpu() == torch.device("mps")
    assert d2l.try_gpu(1) == torch.device("cpu")  # mps is one device
    assert d2l.try_all_gpus() == [torch.device("mps")]
    monkeypatch.setattr(system, "_mps_available", lambda: False)
    assert d2l.try_gpu() == torch.device("cpu") and d2l.try_all_gpus() == [torch.device("cpu")]


_HAS_MPS = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


@pytest.mark.skipif(not _HAS_MPS, reason="needs Apple's mps device (a Mac with Apple silicon); this machine has none")
def test_train_ch3_on_apple_s_mps_device(tiny_classification):
    X, y = tiny_classification
    net, loss = _softmax_setup()
    device = d2l.try_gpu()
    assert device.type == "mps"
    history = d2l.train_ch3(net, [(X, y)], [(X, y)], loss, 2, torch.optim.SGD(net.parameters(), lr=0.5),
                            device=device, animate=False)
    assert next(net.parameters()).device.type == "mps" and len(history["test_acc"]) == 2


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU; this machine has none")
def test_train_ch3_on_the_gpu(tiny_classification):
    X, y = tiny_classification
    net, loss = _softmax_setup()
    history = d2l.train_ch3(net, [(X, y)], [(X, y)], loss, 2, torch.optim.SGD(net.parameters(), lr=0.5),
                            device=d2l.try_gpu(), animate=False)
    assert next(net.parameters()).is_cuda and len(history["test_acc"]) == 2


def test_train_ch3_emits_no_warning(tiny_classification):
    """Notebooks store stderr: training must not print warnings there."""
    import warnings

    X, y = tiny_classification
    net, loss = _softmax_setup()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d2l.train_ch3(net, [(X, y)], [(X, y)], loss, 2, torch.optim.SGD(net.parameters(), lr=0.1), animate=False)
        W = torch.zeros(4, 3, requires_grad=True)
        d2l.train_ch3(lambda X: X @ W, [(X, y)], [(X, y)], loss, 1, lambda n: d2l.sgd([W], 0.1, n), animate=False)
