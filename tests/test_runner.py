"""The Runner (section 3.5)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import course_utils as d2l


def _runner(seed: int = 0, lr: float = 1.0, hook=None) -> d2l.Runner:
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    return d2l.Runner(net, opt, nn.BCELoss(), d2l.binary_accuracy, on_epoch_end=hook)


@pytest.fixture(scope="module")
def moons():
    return d2l.moons_splits(noise=0.1, seed=0)


def test_runner_trains_and_keeps_the_best_model(moons, tmp_path):
    runner = _runner()
    path = tmp_path / "best.pt"
    history = runner.train(moons["train"], moons["dev"], num_epochs=300, save_path=path)
    assert history["epoch"] == list(range(1, 301))
    assert max(history["dev_score"]) == runner.best_score
    assert history["dev_score"][runner.best_epoch - 1] == runner.best_score
    assert runner.best_score > 0.85
    # The model is left with the best epoch's weights.
    assert runner.evaluate(moons["dev"])[1] == pytest.approx(runner.best_score)
    # ... which is also what was saved.
    fresh = _runner(seed=1)
    fresh.load_model(path)
    assert fresh.evaluate(moons["dev"])[1] == pytest.approx(runner.best_score)
    probs = runner.predict(moons["test"][0])
    assert probs.shape == (200, 1) and not probs.requires_grad


def test_runner_accepts_minibatches(moons):
    runner = _runner(lr=0.5)
    X, y = moons["train"]
    batches = d2l.TensorLoader(X, y, 64, shuffle=True, generator=torch.Generator().manual_seed(0))
    history = runner.train(batches, moons["dev"], num_epochs=20)
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_runner_hook_and_log(moons, capsys):
    seen = []
    runner = _runner(hook=lambda r, epoch: seen.append((epoch, r.history["train_loss"][-1])))
    runner.train(moons["train"], None, num_epochs=4, log_every=2)
    assert [e for e, _ in seen] == [1, 2, 3, 4]
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch    2  train loss")
    assert runner.history["dev_score"] == [] and runner.best_epoch == 0


def test_runner_error_paths(moons, tmp_path):
    runner = _runner()
    with pytest.raises(ValueError, match="num_epochs must be a positive int, got 0"):
        runner.train(moons["train"], num_epochs=0)
    with pytest.raises(ValueError, match="log_every must be an int >= 0"):
        runner.train(moons["train"], num_epochs=1, log_every=-1)
    with pytest.raises(TypeError, match="an \\(X, y\\) pair of tensors or an iterable"):
        runner.train(moons["train"][0], num_epochs=1)
    with pytest.raises(FileNotFoundError, match="no saved model at"):
        runner.load_model(tmp_path / "missing.pt")
    with pytest.raises(TypeError, match="X must be a tensor"):
        runner.predict([[0.0, 1.0]])
    net = nn.Linear(2, 1)
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        d2l.Runner(lambda x: x, torch.optim.SGD(net.parameters(), 0.1), nn.BCELoss(), d2l.binary_accuracy)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"):
        d2l.Runner(net, 0.1, nn.BCELoss(), d2l.binary_accuracy)
    summed = d2l.Runner(nn.Sequential(net, nn.Sigmoid()), torch.optim.SGD(net.parameters(), 0.1),
                        nn.BCELoss(reduction="sum"), d2l.binary_accuracy)
    with pytest.raises(ValueError, match="reduction='sum'"):
        summed.train(moons["train"], num_epochs=1)
    counting = d2l.Runner(nn.Sequential(net, nn.Sigmoid()), torch.optim.SGD(net.parameters(), 0.1),
                          nn.BCELoss(), lambda p, y: float(((p >= 0.5).float() == y).sum()))
    with pytest.raises(ValueError, match="fraction of correct predictions"):
        counting.train(moons["train"], num_epochs=1)


def test_runner_training_emits_no_warning(moons):
    import warnings

    runner = _runner()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runner.train(moons["train"], moons["dev"], num_epochs=2)
