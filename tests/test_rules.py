"""The one rule per concept of course_utils: loss reduction, metrics, train/eval mode, data sets.

Each rule is stated in the docstring of ``course_utils.training`` and applied
by ``run_epoch``, which ``train_epoch_ch3``, ``evaluate_accuracy``,
``evaluate_loss`` and the ``Runner`` share.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

import course_utils as d2l


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(40, 5, generator=g)
    y = (X[:, 0] > 0).long()
    return X, y


def classifier(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))


def test_mean_and_per_example_losses_train_identically(data):
    X, y = data
    a, b = classifier(), classifier()
    loader = d2l.TensorLoader(X, y, batch_size=16)
    torch.manual_seed(0)  # dropout draws the same masks in both runs
    ra = d2l.train_epoch_ch3(a, loader, nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(a.parameters(), 0.1))
    torch.manual_seed(0)
    rb = d2l.train_epoch_ch3(b, loader, nn.CrossEntropyLoss(), torch.optim.SGD(b.parameters(), 0.1))
    assert ra[0] == pytest.approx(rb[0], rel=1e-6) and ra[1] == rb[1]
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb)


def test_evaluate_loss_weights_batches_by_their_size(data):
    X, y = data
    net = classifier()
    loader = d2l.TensorLoader(X, y, batch_size=16)  # batches of 16, 16 and 8
    per_example = d2l.evaluate_loss(net, loader, nn.CrossEntropyLoss(reduction="none"))
    mean = d2l.evaluate_loss(net, loader, nn.CrossEntropyLoss())
    net.eval()
    with torch.no_grad():
        whole = float(nn.functional.cross_entropy(net(X), y))
    assert per_example == pytest.approx(whole, rel=1e-6) and mean == pytest.approx(whole, rel=1e-6)


def test_runner_reports_fractions_whatever_the_metric(data):
    X, y = data
    yf = y.float().reshape(-1, 1)
    net = nn.Sequential(nn.Linear(5, 1), nn.Sigmoid())
    with_fraction = d2l.Runner(net, torch.optim.SGD(net.parameters(), 0.1), nn.BCELoss(), d2l.binary_accuracy)
    _, frac = with_fraction.evaluate((X, yf))
    # d2l.accuracy counts correct labels; the Runner recognises it and still reports a fraction.
    two_class = nn.Sequential(nn.Linear(5, 2))
    counting = d2l.Runner(two_class, torch.optim.SGD(two_class.parameters(), 0.1), nn.CrossEntropyLoss(), d2l.accuracy)
    _, score = counting.evaluate(d2l.TensorLoader(X, y, batch_size=16))
    with torch.no_grad():
        expected = float((two_class(X).argmax(1) == y).float().mean())
    assert score == pytest.approx(expected) and 0.0 <= frac <= 1.0


def test_runner_accepts_per_example_losses_and_list_pairs(data):
    X, y = data
    yf = y.float().reshape(-1, 1)
    histories = []
    for loss in (nn.BCELoss(), nn.BCELoss(reduction="none")):
        torch.manual_seed(1)
        net = nn.Sequential(nn.Linear(5, 1), nn.Sigmoid())
        runner = d2l.Runner(net, torch.optim.SGD(net.parameters(), 0.5), loss, d2l.binary_accuracy)
        histories.append(runner.train([X, yf], [X, yf], num_epochs=3))
    assert histories[0]["train_loss"] == pytest.approx(histories[1]["train_loss"], rel=1e-6)
    assert histories[0]["dev_score"] == histories[1]["dev_score"]


@pytest.mark.parametrize("start_in_training", [True, False])
def test_evaluation_restores_the_mode(data, start_in_training):
    X, y = data
    net = classifier()
    net.train(start_in_training)
    d2l.evaluate_accuracy(net, [(X, y)])
    assert net.training is start_in_training
    d2l.evaluate_loss(net, [(X, y)], nn.CrossEntropyLoss(reduction="none"))
    assert net.training is start_in_training
    runner = d2l.Runner(net, torch.optim.SGD(net.parameters(), 0.1), nn.CrossEntropyLoss(), d2l.accuracy)
    runner.evaluate((X, y))
    runner.predict(X)
    assert net.training is start_in_training


def test_evaluation_is_in_eval_mode(data):
    """Dropout is off while evaluating: two evaluations give the same accuracy."""
    X, y = data
    net = classifier()
    net.train()
    first = d2l.evaluate_accuracy(net, [(X, y)])
    assert all(d2l.evaluate_accuracy(net, [(X, y)]) == first for _ in range(5))


def test_training_is_in_train_mode(data):
    X, y = data
    net = classifier()
    net.eval()
    d2l.train_epoch_ch3(net, [(X, y)], nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), 0.1))
    assert net.training


def test_regression_training_reports_nan_accuracy_as_d2l_code_expects_a_pair():
    X = torch.randn(20, 3)
    y = X @ torch.tensor([[1.0], [2.0], [3.0]])
    net = nn.Linear(3, 1)
    loss, acc = d2l.train_epoch_ch3(net, d2l.load_array((X, y), 5), nn.MSELoss(reduction="none"),
                                    torch.optim.SGD(net.parameters(), 0.01))
    assert loss > 0 and acc != acc  # nan: an accuracy means nothing for regression


def test_accuracy_refuses_probabilities_of_one_output():
    with pytest.raises(ValueError, match="binary_accuracy"):
        d2l.accuracy(torch.tensor([[0.9], [0.2]]), torch.tensor([1, 0]))
    assert d2l.accuracy(torch.tensor([1, 0, 1]), torch.tensor([1, 1, 1])) == 2.0  # labels are fine


@pytest.mark.parametrize(
    "y_hat, y, match",
    [
        (torch.zeros(0, 1), torch.zeros(0, 1), "empty"),
        (torch.tensor([0.2, 0.8]), torch.tensor([0.0, 2.0]), "labels 0 and 1"),
        (torch.tensor([float("nan"), 0.8]), torch.tensor([0.0, 1.0]), "NaN"),
    ],
)
def test_binary_accuracy_refuses_nonsense(y_hat, y, match):
    with pytest.raises(ValueError, match=match):
        d2l.binary_accuracy(y_hat, y)
