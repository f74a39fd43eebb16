"""TrainingRecorder: per-layer gradient norms and activation statistics during training."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import course_utils as d2l


def sigmoid_net(depth=4, std=0.01):
    torch.manual_seed(0)
    layers = []
    for i in range(depth):
        lin = nn.Linear(8, 8)
        nn.init.normal_(lin.weight, 0.0, std)
        layers += [lin, nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(8, 3))


def test_records_every_nth_step_with_the_true_gradient_norms():
    net = sigmoid_net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    X, y = torch.randn(32, 8), torch.randint(0, 3, (32,))
    expected = []
    with d2l.TrainingRecorder(net, every=3) as rec:
        for step in range(1, 8):
            opt.zero_grad()
            nn.functional.cross_entropy(net(X), y).backward()
            if step in (1, 4, 7):
                expected.append(float(net[0].weight.grad.norm()))
            opt.step()
    assert rec.steps == [1, 4, 7]
    assert list(rec.grad_norm) == ["0", "2", "4", "6", "8"]
    assert rec.grad_norm["0"] == pytest.approx(expected)
    # Small weights and sigmoids: the first layer's gradient is far smaller than the last one's.
    assert rec.grad_norm["0"][0] < 1e-3 * rec.grad_norm["8"][0]


def test_activation_statistics_and_saturation():
    net = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid())
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[10.0, 0], [-10.0, 0], [0.0, 0], [0.0, 0]]))
        net[0].bias.zero_()
    with d2l.TrainingRecorder(net, every=1) as rec:
        net(torch.tensor([[1.0, 0.0], [2.0, 0.0]])).sum().backward()
    # Units 0 and 1 are saturated (outputs 1 and 0), units 2 and 3 output 0.5.
    assert rec.saturated["1"] == [pytest.approx(0.5)]
    assert rec.act_mean["1"] == [pytest.approx(0.5)]
    assert rec.dead["1"] == [0.0]


def test_dead_units_are_those_zero_on_every_example():
    net = nn.Sequential(nn.Linear(2, 4), nn.ReLU())
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0], [-1.0, 0], [0.0, 1], [0.0, -1]]))
        net[0].bias.copy_(torch.tensor([0.0, 0.0, -10.0, -10.0]))
    with d2l.TrainingRecorder(net) as rec:
        net(torch.tensor([[1.0, 1.0], [-1.0, 1.0]])).sum().backward()
    # Units 0 and 1 are active on one example each; units 2 and 3 are never active.
    assert rec.dead["1"] == [pytest.approx(0.5)]


def test_evaluation_passes_are_not_recorded_and_hooks_are_removed():
    net = sigmoid_net(depth=2)
    rec = d2l.TrainingRecorder(net, every=1)
    net.eval()
    with torch.no_grad():
        net(torch.randn(4, 8))
    assert rec.steps == [] and rec.act_mean["1"] == []
    net.train()
    net(torch.randn(4, 8)).sum().backward()
    assert rec.steps == [1] and len(rec.grad_norm["0"]) == 1
    rec.remove()
    net(torch.randn(4, 8)).sum().backward()
    assert rec.steps == [1] and len(rec.grad_norm["0"]) == 1


def test_works_with_train_ch3():
    torch.manual_seed(0)
    X, y = torch.randn(64, 1, 4, 4), torch.randint(0, 3, (64,))
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))
    train_iter = d2l.TensorLoader(X, y, batch_size=16, shuffle=True)
    with d2l.TrainingRecorder(net, every=2) as rec:
        d2l.train_ch3(net, train_iter, train_iter, nn.CrossEntropyLoss(reduction="none"), 2,
                      torch.optim.SGD(net.parameters(), lr=0.1), animate=False)
    # 2 epochs x 4 batches = 8 steps; the evaluation passes do not count.
    assert rec.step == 8 and rec.steps == [1, 3, 5, 7]
    assert all(len(v) == 4 for v in rec.grad_norm.values())


@pytest.mark.parametrize(
    "args, error, match",
    [
        (("net",), TypeError, "nn.Module"),
        ((nn.Linear(2, 2), 0), ValueError, "positive int"),
        ((nn.Linear(2, 2), True), ValueError, "positive int"),
        ((nn.Linear(2, 2), 1, 0.7), ValueError, "saturation"),
        ((nn.Flatten(),), ValueError, "no nn.Linear"),
    ],
)
def test_bad_arguments(args, error, match):
    with pytest.raises(error, match=match):
        d2l.TrainingRecorder(*args)


def test_works_with_the_runner():
    torch.manual_seed(0)
    X, y = torch.randn(32, 2), torch.randint(0, 2, (32, 1)).float()
    net = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
    runner = d2l.Runner(net, torch.optim.SGD(net.parameters(), lr=0.5), nn.BCELoss(), d2l.binary_accuracy)
    with d2l.TrainingRecorder(net, every=1) as rec:
        runner.train((X, y), (X, y), num_epochs=3)
    # One full-batch step per epoch; the Runner's dev evaluations (eval mode) are not steps.
    assert rec.steps == [1, 2, 3] and len(rec.grad_norm["0"]) == 3 and len(rec.saturated["1"]) == 3
