"""Plot helpers (sections 1.2, 2.1, 2.2, 3.1, 3.5)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import course_utils as d2l


def test_plot_draws_every_curve_with_labels():
    x = torch.arange(0, 3, 0.5)
    ax = d2l.plot(x, [x, x**2], "x", "f(x)", legend=["x", "x^2"], title="two curves", yscale="log")
    assert [len(line.get_xdata()) for line in ax.get_lines()] == [6, 6]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title(), ax.get_yscale()) == ("x", "f(x)", "two curves", "log")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x", "x^2"]


def test_plot_y_only_and_errors():
    ax = d2l.plot([1.0, 4.0, 9.0])
    assert list(ax.get_lines()[0].get_xdata()) == [0, 1, 2]
    with pytest.raises(ValueError, match="same length, got 3 and 2"):
        d2l.plot([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="got None"):
        d2l.plot(None)


def test_set_figsize():
    import matplotlib

    old = matplotlib.rcParams["figure.figsize"]
    try:
        d2l.set_figsize((4, 3))
        assert list(matplotlib.rcParams["figure.figsize"]) == [4, 3]
        assert list(d2l.plot([1.0, 2.0]).figure.get_size_inches()) == [4, 3]  # plot() honours it
        with pytest.raises(ValueError, match=r"set_figsize\(\): figsize must be a finite number > 0"):
            d2l.set_figsize((0, 3))
        with pytest.raises(TypeError, match="a \\(width, height\\) pair"):
            d2l.set_figsize(3)
    finally:
        d2l.set_figsize()
        matplotlib.rcParams["figure.figsize"] = old


def test_animator_outside_jupyter_draws_without_displaying():
    animator = d2l.Animator(xlabel="epoch", legend=["loss", "acc"], xlim=[1, 3])
    assert animator.display is False
    for epoch in (1, 2, 3):
        animator.add(epoch, (1.0 / epoch, 0.5 + 0.1 * epoch))
    assert animator.Y == [[1.0, 0.5, 1 / 3], [0.6, 0.7, 0.8]]
    assert len(animator.axes[0].get_lines()) == 2
    assert animator.axes[0].get_xlabel() == "epoch"
    with pytest.raises(ValueError, match="draws 2 curves, add\\(\\) got 1"):
        animator.add(4, 0.1)
    with pytest.raises(ValueError, match="got 3 x-values for 2 y-values"):
        animator.add([1, 2, 3], [0.1, 0.2])


def test_animator_in_jupyter_updates_one_display(monkeypatch):
    shown = []

    class Handle:
        def update(self, obj):
            shown.append(("update", obj))

    def fake_display(obj, display_id=False):
        shown.append(("display", obj))
        return Handle()

    import IPython.display

    monkeypatch.setattr(IPython.display, "display", fake_display)
    animator = d2l.Animator(legend=["loss"], display=True)
    animator.add(1, 0.5)
    animator.add(2, 0.4)
    assert [kind for kind, _ in shown] == ["display", "update"]
    assert shown[0][1].data[:8] == b"\x89PNG\r\n\x1a\n"


def test_show_images_grid_and_errors():
    axes = d2l.show_images(torch.rand(5, 1, 28, 28), 2, 3, titles=list("abcde"))
    assert len(axes) == 6
    assert [ax.get_title() for ax in axes[:5]] == list("abcde")
    assert not axes[5].get_visible()
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    assert isinstance(axes[0].figure.get_layout_engine(), ConstrainedLayoutEngine), "room for a suptitle"
    with pytest.raises(ValueError, match="7 images do not fit a 2x3 grid"):
        d2l.show_images(torch.rand(7, 28, 28), 2, 3)
    with pytest.raises(ValueError, match="got 1 titles for 2 images"):
        d2l.show_images(torch.rand(2, 28, 28), 1, 2, titles=["a"])
    with pytest.raises(ValueError, match="image 0 has shape"):
        d2l.show_images(torch.rand(1, 2, 3, 4, 5), 1, 1)
    with pytest.raises(ValueError, match="num_rows must be a positive int"):
        d2l.show_images(torch.rand(1, 28, 28), 0, 1)


def test_predict_ch3_titles_true_and_predicted_labels():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    X, y = torch.rand(8, 1, 28, 28), torch.arange(8)
    axes = d2l.predict_ch3(net, [(X, y)], n=4)
    preds = d2l.get_fashion_mnist_labels(net(X[:4]).argmax(1))
    trues = d2l.get_fashion_mnist_labels(y[:4])
    assert [ax.get_title() for ax in axes] == [f"{t}\n{p}" for t, p in zip(trues, preds)]
    with pytest.raises(ValueError, match="n=9 is larger than a batch"):
        d2l.predict_ch3(net, [(X, y)], n=9)
    with pytest.raises(ValueError, match="n must be a positive int"):
        d2l.predict_ch3(net, [(X, y)], n=0)


def test_plot_activation_uses_autograd_derivatives():
    x = torch.linspace(-3, 3, 61)
    ax_f, ax_d = d2l.plot_activation(torch.sigmoid, "sigmoid", x)
    s = torch.sigmoid(x).numpy()
    np.testing.assert_allclose(ax_f.get_lines()[0].get_ydata(), s, rtol=1e-6)
    np.testing.assert_allclose(ax_d.get_lines()[0].get_ydata(), s * (1 - s), rtol=1e-5, atol=1e-7)
    assert ax_d.get_title() == "derivative of sigmoid"
    with pytest.raises(ValueError, match="same shape"):
        d2l.plot_activation(lambda t: t.sum(), "sum")


def test_plot_training_curves_for_both_histories():
    ax_loss, ax_score = d2l.plot_training_curves(
        {"epoch": [1, 2], "train_loss": [1.0, 0.5], "train_acc": [0.5, 0.7], "test_acc": [0.4, 0.6]}, title="ch3"
    )
    assert len(ax_loss.get_lines()) == 1 and len(ax_score.get_lines()) == 2
    runner_history = {"train_loss": [1, 0.5, 0.2], "dev_loss": [1, 0.6, 0.4],
                      "train_score": [0.5, 0.6, 0.9], "dev_score": [0.5, 0.6, 0.8]}
    ax_loss, ax_score = d2l.plot_training_curves(runner_history)
    assert [t.get_text() for t in ax_score.get_legend().get_texts()] == ["train score", "dev score"]
    with pytest.raises(ValueError, match="no key ending in 'loss'"):
        d2l.plot_training_curves({"lr": [0.1]})


def test_plot_decision_boundary():
    X, y = d2l.make_moons(100, generator=torch.Generator().manual_seed(0))
    ax = d2l.plot_decision_boundary(lambda P: (P[:, 0] > 0.5).float(), X, y, title="x1 > 0.5")
    assert ax.get_title() == "x1 > 0.5" and ax.get_xlabel() == "$x_1$"
    with pytest.raises(ValueError, match="shape \\(N, 2\\)"):
        d2l.plot_decision_boundary(lambda P: P[:, 0], torch.zeros(10, 3), torch.zeros(10))
    with pytest.raises(ValueError, match="100 points, 99 labels"):
        d2l.plot_decision_boundary(lambda P: P[:, 0], X, y[:99])
    with pytest.raises(ValueError, match="one probability per point"):
        d2l.plot_decision_boundary(lambda P: P[:10], X, y)
    with pytest.raises(ValueError, match="labels 0 and 1"):
        d2l.plot_decision_boundary(lambda P: P[:, 0], X, y * 2)


def test_plot_decision_boundary_with_several_classes_shades_the_argmax_regions():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(90, 2, generator=g)
    scores = lambda P: torch.stack([-P[:, 0], P[:, 0], 3 * P[:, 1]], dim=1)  # noqa: E731
    y = scores(X).argmax(dim=1)
    ax = d2l.plot_decision_boundary(scores, X, y, title="three classes")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1", "class 2"]
    fill = ax.collections[0]  # the contourf regions come first
    assert len(fill.get_paths()) >= 3 or len(ax.collections) >= 4
    with pytest.raises(ValueError, match="labels 0 to 2"):
        d2l.plot_decision_boundary(scores, X, y + 1)


def test_plot_confusion_matrix():
    confusion = torch.tensor([[8, 2, 0], [1, 9, 0], [0, 3, 7]])
    ax = d2l.plot_confusion_matrix(confusion, ["a", "b", "c"], title="test")
    assert ax.get_title() == "test" and ax.get_ylabel() == "true class"
    assert (ax.images[0].get_array() == confusion.numpy()).all()
    with pytest.raises(ValueError, match="2 labels for a 3 x 3 matrix"):
        d2l.plot_confusion_matrix(confusion, ["a", "b"])
    with pytest.raises(ValueError, match="square matrix"):
        d2l.plot_confusion_matrix(torch.zeros(2, 3), ["a", "b"])


def test_animator_show_displays_the_finished_figure_once(monkeypatch):
    from course_utils import plotting

    shown = []
    monkeypatch.setattr(plotting, "_in_jupyter", lambda: True)
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append(obj))
    animator = d2l.Animator(xlabel="epoch", legend=["train", "test"], display=False)
    for epoch in range(1, 4):
        animator.add(epoch, (1.0 / epoch, 2.0 / epoch))
    assert shown == []  # display=False: nothing while drawing
    animator.show()
    assert len(shown) == 1 and shown[0].data[:8] == b"\x89PNG\r\n\x1a\n"
