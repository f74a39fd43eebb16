"""Data sets and minibatch iterators (sections 1.2, 1.3, 2.1, 3.5)."""

from __future__ import annotations

import pytest
import torch

import course_utils as d2l


def test_synthetic_data_follows_the_model():
    w, b = torch.tensor([2.0, -3.4]), 4.2
    X, y = d2l.synthetic_data(w, b, 1000, generator=torch.Generator().manual_seed(0))
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    residual = y.reshape(-1) - (X @ w + b)
    assert 0.005 < float(residual.std()) < 0.015  # the noise has std 0.01


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-5, ValueError), (2.5, TypeError), (True, TypeError)])
def test_synthetic_data_rejects_bad_sizes(bad, error):
    with pytest.raises(error, match=r"synthetic_data\(\): num_examples must be a positive int"):
        d2l.synthetic_data(torch.tensor([1.0]), 0.0, bad)


def test_synthetic_data_rejects_matrix_weights():
    with pytest.raises(ValueError, match="one weight per feature"):
        d2l.synthetic_data(torch.ones(2, 2), 0.0, 10)


def test_load_array_batches_and_shuffles():
    X, y = torch.arange(10.0).reshape(10, 1), torch.arange(10)
    batches = list(d2l.load_array((X, y), 4, is_train=False))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    assert torch.equal(torch.cat([b[1] for b in batches]), y)
    torch.manual_seed(0)
    shuffled = torch.cat([b[1] for b in d2l.load_array((X, y), 4)])
    assert sorted(shuffled.tolist()) == list(range(10)) and not torch.equal(shuffled, y)


def test_load_array_rejects_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        d2l.load_array((torch.zeros(3), torch.zeros(3)), 0)


def test_tensor_loader_is_reiterable_and_reshuffles():
    X, y = torch.arange(100.0), torch.arange(100)
    loader = d2l.TensorLoader(X, y, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(1))
    assert len(loader) == 4
    first = torch.cat([b for _, b in loader])
    second = torch.cat([b for _, b in loader])
    assert sorted(first.tolist()) == list(range(100)) == sorted(second.tolist())
    assert not torch.equal(first, second), "every pass must draw a new shuffle"


def test_tensor_loader_is_reproducible_under_a_seed():
    X, y = torch.arange(50.0), torch.arange(50)
    runs = []
    for _ in range(2):
        loader = d2l.TensorLoader(X, y, 8, shuffle=True, generator=torch.Generator().manual_seed(7))
        runs.append(torch.cat([b for _, b in loader]))
    assert torch.equal(runs[0], runs[1])
    torch.manual_seed(3)
    a = torch.cat([b for _, b in d2l.TensorLoader(X, y, 8, shuffle=True)])
    torch.manual_seed(3)
    b = torch.cat([b for _, b in d2l.TensorLoader(X, y, 8, shuffle=True)])
    assert torch.equal(a, b), "without a generator, torch.manual_seed makes the order reproducible"


def test_tensor_loader_keeps_order_without_shuffle():
    X, y = torch.arange(10.0), torch.arange(10)
    batches = list(d2l.TensorLoader(X, y, 3))
    assert [b.tolist() for _, b in batches] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


def test_tensor_loader_checks_its_inputs():
    with pytest.raises(ValueError, match="same number of examples, got 3 and 2"):
        d2l.TensorLoader(torch.zeros(3), torch.zeros(2), 1)
    with pytest.raises(TypeError, match=r"TensorLoader\(\): X must be a tensor"):
        d2l.TensorLoader([1, 2], torch.zeros(2), 1)
    with pytest.raises(ValueError, match="resize needs images of shape"):
        d2l.TensorLoader(torch.zeros(3, 4), torch.zeros(3), 1, resize=8)


@pytest.fixture(scope="module")
def fashion():
    return d2l.load_data_fashion_mnist(256)


def test_load_data_fashion_mnist_batches(fashion):
    train_iter, test_iter = fashion
    assert len(train_iter) == 235 and len(test_iter) == 40
    X, y = next(iter(train_iter))
    assert X.shape == (256, 1, 28, 28) and X.dtype == torch.float32
    assert y.shape == (256,) and y.dtype == torch.int64
    assert float(X.min()) >= 0.0 and float(X.max()) <= 1.0
    assert sum(len(y) for _, y in test_iter) == 10_000
    X_test, _ = next(iter(test_iter))
    X_again, _ = next(iter(test_iter))
    assert torch.equal(X_test, X_again), "the test split is not shuffled"


@pytest.mark.parametrize("resize, shape", [(32, (32, 32)), ((20, 40), (20, 40)), ([14, 14], (14, 14))])
def test_load_data_fashion_mnist_resize(resize, shape):
    train_iter, test_iter = d2l.load_data_fashion_mnist(16, resize=resize)
    X, _ = next(iter(test_iter))
    assert X.shape == (16, 1, *shape)
    assert float(X.min()) >= -1e-6 and float(X.max()) <= 1 + 1e-6


@pytest.mark.parametrize("resize, error", [(0, ValueError), (-28, ValueError), (1.5, TypeError), ("28", TypeError),
                                           ((28,), TypeError), ((28, 0), ValueError), (True, TypeError),
                                           ((28, 28, 1), TypeError)])
def test_load_data_fashion_mnist_rejects_bad_resize(resize, error):
    with pytest.raises(error, match=r"load_data_fashion_mnist\(\): resize must be"):
        d2l.load_data_fashion_mnist(256, resize=resize)


@pytest.mark.parametrize("batch_size, error", [(0, ValueError), (-1, ValueError), (2.0, TypeError), (None, TypeError)])
def test_load_data_fashion_mnist_rejects_bad_batch_size(batch_size, error):
    with pytest.raises(error, match="batch_size must be a positive int"):
        d2l.load_data_fashion_mnist(batch_size)


def test_fashion_mnist_labels():
    assert d2l.get_fashion_mnist_labels(torch.tensor([0, 1, 9])) == ["t-shirt", "trouser", "ankle boot"]
    with pytest.raises(ValueError, match="labels are 0 to 9, got 10"):
        d2l.get_fashion_mnist_labels([10])
    with pytest.raises(ValueError, match="got -1"):
        d2l.get_fashion_mnist_labels([-1])


def test_torchvision_dataset_matches_the_in_memory_split():
    from torchvision.transforms import ToTensor

    dataset = d2l.fashion_mnist_torchvision(train=False, transform=ToTensor())
    images, labels = d2l.read_fashion_mnist(train=False)
    assert len(dataset) == 10_000
    X, y = dataset[123]
    assert X.shape == (1, 28, 28) and y == int(labels[123])
    assert torch.equal((X * 255).round().to(torch.uint8)[0], images[123])


def test_make_moons_shapes_and_balance():
    X, y = d2l.make_moons(101, noise=0.0, generator=torch.Generator().manual_seed(0))
    assert X.shape == (101, 2) and y.shape == (101, 1) and y.dtype == torch.float32
    assert int(y.sum()) == 51
    upper = X[y.reshape(-1) == 0]
    assert torch.allclose(upper.norm(dim=1), torch.ones(len(upper)), atol=1e-5), "without noise, on the unit circle"
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        d2l.make_moons(10, noise=-0.1)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        d2l.make_moons(10, noise=float("nan"))


def test_moons_splits_are_reproducible_and_disjoint():
    a, b = d2l.moons_splits(seed=3), d2l.moons_splits(seed=3)
    assert {k: len(v[0]) for k, v in a.items()} == {"train": 640, "dev": 160, "test": 200}
    assert all(torch.equal(a[k][0], b[k][0]) for k in a)
    c = d2l.moons_splits(seed=4)
    assert not torch.equal(a["train"][0], c["train"][0])
    with pytest.raises(ValueError, match="not to n_samples=1000"):
        d2l.moons_splits(sizes=(600, 100, 100))


def test_validation_split_is_disjoint_complete_and_reproducible():
    train_idx, val_idx = d2l.fashion_mnist_val_indices(5000, seed=0)
    assert len(train_idx) == 55000 and len(val_idx) == 5000
    both = torch.cat([train_idx, val_idx])
    assert torch.equal(both.sort().values, torch.arange(60000))  # disjoint and covers every image
    again_train, again_val = d2l.fashion_mnist_val_indices(5000, seed=0)
    assert torch.equal(again_val, val_idx) and torch.equal(again_train, train_idx)
    _, other_val = d2l.fashion_mnist_val_indices(5000, seed=1)
    assert not torch.equal(other_val, val_idx)
    # Fixed on every machine: the first indices of seed 0 (torch's CPU generator is portable).
    assert val_idx[:5].tolist() == [1, 3, 47, 49, 80]


@pytest.mark.parametrize("val_size, seed, error", [(0, 0, ValueError), (60000, 0, ValueError),
                                                   (True, 0, TypeError), (100, "0", TypeError)])
def test_validation_split_rejects_bad_arguments(val_size, seed, error):
    with pytest.raises(error):
        d2l.fashion_mnist_val_indices(val_size, seed)


def test_load_fashion_mnist_splits_holds_out_the_validation_images():
    train_iter, val_iter, test_iter = d2l.load_fashion_mnist_splits(256, val_size=5000, seed=0)
    assert (len(train_iter.X), len(val_iter.X), len(test_iter.X)) == (55000, 5000, 10000)
    assert train_iter.shuffle and not val_iter.shuffle and not test_iter.shuffle
    full_train, full_test = d2l.load_data_fashion_mnist(256)
    _, val_idx = d2l.fashion_mnist_val_indices(5000, seed=0)
    assert torch.equal(val_iter.X, full_train.X[val_idx]) and torch.equal(val_iter.y, full_train.y[val_idx])
    assert torch.equal(test_iter.X, full_test.X)
    X, y = next(iter(val_iter))
    assert X.shape == (256, 1, 28, 28) and y.dtype == torch.int64
    # d2l's call is unchanged: two loaders.
    assert len(d2l.load_data_fashion_mnist(256)) == 2


def test_synthetic_data_takes_a_column_of_weights_as_d2l_does():
    w = torch.arange(1.0, 4.0)
    X1, y1 = d2l.synthetic_data(w, 0.5, 50, generator=torch.Generator().manual_seed(3))
    X2, y2 = d2l.synthetic_data(w.reshape(-1, 1), 0.5, 50, generator=torch.Generator().manual_seed(3))
    assert torch.equal(X1, X2) and torch.equal(y1, y2) and y2.shape == (50, 1)


def test_get_k_fold_data_is_d2l_s_split():
    X, y = torch.arange(22.0).reshape(11, 2), torch.arange(11.0)
    seen = []
    for i in range(5):
        X_train, y_train, X_valid, y_valid = d2l.get_k_fold_data(5, i, X, y)
        assert len(y_valid) == 2 and len(y_train) == 8  # folds of 11 // 5 = 2; the last example is left out
        assert set(y_train.tolist()).isdisjoint(y_valid.tolist())
        assert (X_valid[:, 0] / 2 == y_valid).all() and (X_train[:, 0] / 2 == y_train).all()
        seen += y_valid.tolist()
    assert sorted(seen) == [float(v) for v in range(10)]  # every kept example is validated once


def test_section_3_5_states_the_moons_defaults_the_functions_have():
    """3.5 tells the learner which noise make_moons and moons_splits use by default."""
    import inspect
    import re
    from pathlib import Path

    import nbformat

    page = Path(__file__).resolve().parents[1] / "chapters" / "03_multilayer_perceptrons" / "05_runner_moons.ipynb"
    text = " ".join(c.source for c in nbformat.read(page, as_version=4).cells if c.cell_type == "markdown")
    stated = re.search(r"`make_moons` and `moons_splits` both default to `noise=([0-9.]+)`", " ".join(text.split()))
    assert stated, f"{page.name} no longer states the default noise of the moons"
    for function in (d2l.make_moons, d2l.moons_splits):
        assert inspect.signature(function).parameters["noise"].default == float(stated.group(1)), function.__name__
