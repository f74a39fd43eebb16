"""train_seeds: K copies trained at once equal K plain single runs, seed for seed."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import course_utils as d2l


def single_run(make_net, seed, data, loss, num_epochs, lr, batch_size, weight_decay=0.0, metric=None):
    """The plain loop that train_seeds promises to equal: torch.manual_seed, make_net, a seeded loader, SGD."""
    X, y = data
    torch.manual_seed(seed)
    net = make_net()
    if batch_size is None:
        loader = [(X, y)]
    else:
        loader = d2l.TensorLoader(X, y, batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    decayed = [p for name, p in net.named_parameters() if name.endswith("weight")]
    others = [p for name, p in net.named_parameters() if not name.endswith("weight")]
    optimizer = torch.optim.SGD([{"params": decayed, "weight_decay": weight_decay},
                                 {"params": others, "weight_decay": 0.0}], lr=lr)
    history = []
    for _ in range(num_epochs):
        result = d2l.run_epoch(net, loader, loss, metric, optimizer)  # the epoch core of train_epoch_ch3
        history.append((result.loss, result.score))
    return net, history


def linear_regression():
    g = torch.Generator().manual_seed(1)
    X = torch.randn(100, 2, generator=g)
    y = (X @ torch.tensor([2.0, -3.4]) + 4.2 + 0.01 * torch.randn(100, generator=g)).reshape(-1, 1)
    return (lambda: nn.Linear(2, 1)), (X, y), nn.MSELoss(), None


def softmax_regression():
    g = torch.Generator().manual_seed(2)
    X = torch.randn(120, 1, 4, 4, generator=g)
    y = X.flatten(1)[:, :3].argmax(dim=1)

    def make():
        net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
        nn.init.normal_(net[1].weight, std=0.01)
        nn.init.zeros_(net[1].bias)
        return net

    return make, (X, y), nn.CrossEntropyLoss(reduction="none"), d2l.accuracy


def small_mlp():
    g = torch.Generator().manual_seed(3)
    X = torch.randn(90, 2, generator=g)
    y = (X[:, 0] * X[:, 1] > 0).float().reshape(-1, 1)
    return (lambda: nn.Sequential(nn.Linear(2, 5), nn.Sigmoid(), nn.Linear(5, 1), nn.Sigmoid())), (X, y), \
        nn.BCELoss(), d2l.binary_accuracy


KINDS = {"linear regression": linear_regression, "softmax regression": softmax_regression, "MLP": small_mlp}


@pytest.mark.parametrize("batch_size", [16, None], ids=["minibatch", "full batch"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_each_seed_equals_a_plain_single_run(kind, batch_size):
    make_net, data, loss, metric = KINDS[kind]()
    seeds = [0, 3, 7]
    runs = d2l.train_seeds(make_net, seeds, data, loss, num_epochs=3, lr=0.2, batch_size=batch_size,
                           val_data=data, metric=metric)
    for k, seed in enumerate(seeds):
        net, history = single_run(make_net, seed, data, loss, 3, 0.2, batch_size, metric=metric)
        for mine, theirs in zip(runs.net(k).parameters(), net.parameters()):
            torch.testing.assert_close(mine, theirs.detach(), rtol=1e-5, atol=1e-6)
        assert runs.train_loss[:, k].tolist() == pytest.approx([h[0] for h in history], rel=1e-5, abs=1e-7)
        if metric is not None:
            assert runs.train_score[:, k].tolist() == pytest.approx([h[1] for h in history], abs=1e-6)
            val = d2l.evaluate_accuracy(net, [data]) if metric is d2l.accuracy else \
                d2l.binary_accuracy(net(data[0]).detach(), data[1])
            assert runs.val_score[-1, k].item() == pytest.approx(val, abs=1e-6)
        val_loss = d2l.evaluate_loss(net, [data], loss)
        assert runs.val_loss[-1, k].item() == pytest.approx(val_loss, rel=1e-5)


def test_regression_targets_of_shape_n_are_taken_as_n_by_1_as_in_d2l():
    make_net, (X, y), loss, _ = linear_regression()
    flat = d2l.train_seeds(make_net, [0], (X, y.reshape(-1)), loss, 2, lr=0.1, batch_size=10, val_data=(X, y.reshape(-1)))
    column = d2l.train_seeds(make_net, [0], (X, y), loss, 2, lr=0.1, batch_size=10, val_data=(X, y))
    torch.testing.assert_close(flat.val_loss, column.val_loss)
    torch.testing.assert_close(flat.params["weight"], column.params["weight"])


def test_different_seeds_give_different_runs():
    make_net, data, loss, _ = softmax_regression()
    runs = d2l.train_seeds(make_net, [0, 1], data, loss, num_epochs=1, lr=0.5, batch_size=8)
    assert not torch.equal(runs.params["1.weight"][0], runs.params["1.weight"][1])


def test_a_list_of_settings_equals_separate_calls_and_pairs_by_seed():
    make_net, data, loss, metric = small_mlp()
    both = d2l.train_seeds(make_net, [0, 1], data, loss, 4, lr=[0.1, 1.0], batch_size=10, metric=metric)
    assert [r.lr for r in both] == [0.1, 1.0]
    for runs in both:
        alone = d2l.train_seeds(make_net, [0, 1], data, loss, 4, lr=runs.lr, batch_size=10, metric=metric)
        torch.testing.assert_close(runs.train_loss, alone.train_loss)
        for name in alone.params:
            torch.testing.assert_close(runs.params[name], alone.params[name])


def test_weight_decay_decays_weights_only_as_sgd_with_parameter_groups():
    make_net, data, loss, _ = linear_regression()
    runs = d2l.train_seeds(make_net, [5], data, loss, 2, lr=0.05, batch_size=10, weight_decay=[0.0, 3.0])
    net, _ = single_run(make_net, 5, data, loss, 2, 0.05, 10, weight_decay=3.0)
    torch.testing.assert_close(runs[1].net(0).weight, net.weight.detach(), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(runs[1].net(0).bias, net.bias.detach(), rtol=1e-5, atol=1e-6)
    assert runs[1].net(0).weight.norm() < runs[0].net(0).weight.norm()


def test_data_drawn_per_seed():
    def draw(seed):
        g = torch.Generator().manual_seed(100 + seed)
        X = torch.randn(40, 3, generator=g)
        return X, X.sum(dim=1, keepdim=True)

    runs = d2l.train_seeds(lambda: nn.Linear(3, 1), [0, 1], draw, nn.MSELoss(), 3, lr=0.1, batch_size=8,
                           val_data=draw)
    for k, seed in enumerate([0, 1]):
        net, _ = single_run(lambda: nn.Linear(3, 1), seed, draw(seed), nn.MSELoss(), 3, 0.1, 8)
        torch.testing.assert_close(runs.net(k).weight, net.weight.detach(), rtol=1e-5, atol=1e-6)
        assert runs.val_loss[-1, k].item() == pytest.approx(d2l.evaluate_loss(net, [draw(seed)], nn.MSELoss()),
                                                           rel=1e-5)


def test_record_steps_and_last():
    make_net, data, loss, metric = small_mlp()
    runs = d2l.train_seeds(make_net, range(2), data, loss, 2, lr=0.5, batch_size=30, metric=metric,
                           record_steps=True, val_data=data)
    assert runs.step_loss.shape == (6, 2) and runs.step_val_loss.shape == (6, 2)  # 90 examples, batches of 30
    # The loss after the last step is the epoch's val loss; after step s, the loss before step s + 1
    # on the same (full) data would be the same, so compare the full-batch case:
    torch.testing.assert_close(runs.step_val_loss[-1], runs.val_loss[-1])
    full = d2l.train_seeds(make_net, range(2), data, loss, 3, lr=0.5, record_steps=True, val_data=data)
    torch.testing.assert_close(full.step_val_loss[:-1], full.step_loss[1:], rtol=1e-5, atol=1e-7)
    assert d2l.train_seeds(make_net, [0], data, loss, 1, lr=0.5, record_steps=True).step_val_loss is None
    assert runs.last("train_loss") == pytest.approx(runs.step_loss[3:].mean(dim=0).tolist(), rel=1e-6)
    with pytest.raises(ValueError, match="pass val_data"):
        d2l.train_seeds(make_net, [0], data, loss, 1, lr=0.5, metric=metric).last("val_score")
    with pytest.raises(ValueError, match="record must be one of"):
        runs.last("accuracy")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"make_net": nn.Linear(2, 1)}, TypeError, "make_net must be a function"),
        ({"seeds": [0, 0]}, ValueError, "distinct"),
        ({"seeds": []}, ValueError, "seeds is empty"),
        ({"seeds": 3}, TypeError, "seeds must be a sequence"),
        ({"lr": 0.0}, ValueError, "lr must be a finite number > 0"),
        ({"lr": [0.1, 0.2], "weight_decay": [0.0, 1.0, 2.0]}, ValueError, "same length"),
        ({"loss": nn.MSELoss(reduction="sum")}, ValueError, "reduction='sum'"),
        ({"data": [torch.zeros(4, 2)]}, TypeError, "data must be an \\(X, y\\) pair"),
        ({"make_net": lambda: nn.BatchNorm1d(2)}, ValueError, "buffers"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive int"),
    ],
)
def test_bad_arguments_get_clear_errors(kwargs, error, match):
    make_net, data, loss, _ = linear_regression()
    args = {"make_net": make_net, "seeds": [0, 1], "data": data, "loss": loss, "num_epochs": 1, "lr": 0.1}
    args.update(kwargs)
    with pytest.raises(error, match=match) as info:
        d2l.train_seeds(**args)
    assert "train_seeds" in str(info.value)


def test_a_network_of_another_shape_per_seed_is_refused():
    sizes = iter([3, 4])
    with pytest.raises(ValueError, match="same architecture"):
        d2l.train_seeds(lambda: nn.Linear(2, next(sizes)), [0, 1], (torch.zeros(4, 2), torch.zeros(4, 3)),
                        nn.MSELoss(), 1, lr=0.1)


def test_evaluate_gives_each_seed_s_final_scores_on_new_data():
    make_net, data, loss, metric = small_mlp()
    runs = d2l.train_seeds(make_net, [0, 4], data, loss, 3, lr=0.5, batch_size=30, val_data=data, metric=metric)
    result = runs.evaluate(data, loss=loss, metric=metric)
    assert result["score"] == pytest.approx(runs.last("val_score"), abs=1e-6)
    assert result["loss"] == pytest.approx(runs.last("val_loss"), rel=1e-5)
    half = (data[0][:45], data[1][:45])
    assert runs.evaluate(half, metric=metric)["score"] != result["score"]  # another data set, another score
    assert set(runs.evaluate(lambda s: half, loss=loss)) == {"loss"}
    with pytest.raises(ValueError, match="give a loss, a metric or both"):
        runs.evaluate(data)


class _Custom(nn.Module):
    """A model the batched fast path does not know: train_seeds falls back on vmap."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 4)
        self.out = nn.Linear(4, 1)

    def forward(self, X):
        return torch.sigmoid(self.out(torch.tanh(self.hidden(X))))


def test_a_custom_module_trains_through_vmap_and_equals_single_runs():
    from course_utils import seeds

    assert seeds._layer_stack(_Custom()) is None and seeds._layer_stack(small_mlp()[0]()) is not None
    _, data, loss, metric = small_mlp()
    runs = d2l.train_seeds(_Custom, [2, 3], data, loss, 2, lr=0.3, batch_size=16, metric=metric)
    for k, seed in enumerate([2, 3]):
        net, _ = single_run(_Custom, seed, data, loss, 2, 0.3, 16)
        for mine, theirs in zip(runs.net(k).parameters(), net.parameters()):
            torch.testing.assert_close(mine, theirs.detach(), rtol=1e-5, atol=1e-6)
