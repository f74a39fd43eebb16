"""Plot helpers.

* :func:`plot`, :func:`set_figsize`, :func:`use_svg_display`: section 1.2.
* :func:`show_images`: section 2.1.
* :class:`Animator`, :func:`predict_ch3`: section 2.2.
* :func:`plot_activation`: section 3.1.
* :func:`plot_training_curves`, :func:`plot_decision_boundary`: section 3.5.

Every function takes an ``Axes`` to draw on (or makes its own figure) and
returns what it drew on, so no plot depends on hidden global state.  Only
:func:`set_figsize` and :func:`use_svg_display` change matplotlib's settings,
which is what they are for.
"""

from __future__ import annotations

import io
from typing import Any, Callable, Sequence

import matplotlib
import numpy as np
import torch

__all__ = [
    "Animator",
    "plot",
    "plot_activation",
    "plot_decision_boundary",
    "plot_training_curves",
    "predict_ch3",
    "set_figsize",
    "show_images",
    "use_svg_display",
]

DEFAULT_FMTS = ("-", "m--", "g-.", "r:")


def _plt() -> Any:
    import matplotlib.pyplot as plt

    return plt


def _to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def use_svg_display() -> None:
    """Show figures as SVG in Jupyter (d2l's default). Introduced in section 1.2.

    The course's own notebooks keep PNG: SVG output changes at every run (it
    embeds random ids), which would make stored outputs differ needlessly.
    """
    from matplotlib_inline import backend_inline

    backend_inline.set_matplotlib_formats("svg")


def set_figsize(figsize: tuple[float, float] = (3.5, 2.5)) -> None:
    """Set matplotlib's default figure size (a global setting, on purpose). Section 1.2."""
    if len(figsize) != 2 or min(figsize) <= 0:
        raise ValueError(f"figsize must be a (width, height) pair of positive inches, got {figsize!r}.")
    matplotlib.rcParams["figure.figsize"] = figsize


def _config_axes(ax: Any, xlabel: str | None, ylabel: str | None, xlim: Any, ylim: Any,
                 xscale: str, yscale: str, legend: Sequence[str] | None, title: str | None) -> None:
    ax.set_xlabel(xlabel or "")
    ax.set_ylabel(ylabel or "")
    ax.set_xscale(xscale)
    ax.set_yscale(yscale)
    if xlim is not None:
        ax.set_xlim(xlim)
    if ylim is not None:
        ax.set_ylim(ylim)
    if legend:
        ax.legend(legend)
    if title:
        ax.set_title(title)
    ax.grid(True)


def plot(
    X: Any,
    Y: Any = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: Sequence[str] | None = None,
    xlim: Any = None,
    ylim: Any = None,
    xscale: str = "linear",
    yscale: str = "linear",
    fmts: Sequence[str] = DEFAULT_FMTS,
    figsize: tuple[float, float] = (3.5, 2.5),
    axes: Any = None,
    title: str | None = None,
) -> Any:
    """Plot one or more curves, as d2l's ``plot``; return the ``Axes``. Section 1.2.

    ``X`` and ``Y`` may be lists of curves; with ``Y=None``, ``X`` holds the
    y-values and the x-values are their indices.

    >>> ax = plot(torch.arange(3.0), [torch.arange(3.0) ** 2], xlabel="x", ylabel="x^2")
    >>> ax.get_xlabel()
    'x'
    """

    def has_one_axis(v: Any) -> bool:
        return (hasattr(v, "ndim") and v.ndim == 1) or (isinstance(v, list) and not hasattr(v[0], "__len__"))

    if X is None:
        raise ValueError("X must hold the values to plot, got None.")
    if has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    if axes is None:
        _, axes = _plt().subplots(figsize=figsize)
    for x, y, fmt in zip(X, Y, list(fmts) * (len(Y) // max(len(fmts), 1) + 1)):
        y = _to_numpy(y)
        x = _to_numpy(x)
        if len(x):
            if x.shape[0] != y.shape[0]:
                raise ValueError(f"x and y of a curve must have the same length, got {x.shape[0]} and {y.shape[0]}.")
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)
    _config_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend, title)
    return axes


def _in_jupyter() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class Animator:
    """Draw curves that grow point by point, e.g. during training. Section 2.2.

    In Jupyter the figure is shown once and redrawn in place at every
    :meth:`add`; elsewhere (a script, a test) nothing is displayed and the
    figure is still available as ``animator.fig``.  Unlike d2l's version it
    does not use pyplot, so it never leaves a second copy of the figure in the
    notebook.

    >>> animator = Animator(xlabel="epoch", legend=["loss"])
    >>> animator.add(1, 0.5); animator.add(2, 0.25); animator.Y
    [[0.5, 0.25]]
    """

    def __init__(
        self,
        xlabel: str | None = None,
        ylabel: str | None = None,
        legend: Sequence[str] | None = None,
        xlim: Any = None,
        ylim: Any = None,
        xscale: str = "linear",
        yscale: str = "linear",
        fmts: Sequence[str] = DEFAULT_FMTS,
        nrows: int = 1,
        ncols: int = 1,
        figsize: tuple[float, float] = (3.5, 2.5),
        title: str | None = None,
        display: bool | None = None,
    ) -> None:
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=figsize, layout="constrained")
        axes = self.fig.subplots(nrows, ncols, squeeze=False)
        self.axes = axes.ravel()
        self.legend = list(legend) if legend else []
        self._config = lambda: _config_axes(
            self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, self.legend, title
        )
        self.X: list[list[float]] | None = None
        self.Y: list[list[float]] | None = None
        self.fmts = fmts
        self.display = _in_jupyter() if display is None else display
        self._handle: Any = None

    def add(self, x: float | Sequence[float], y: float | Sequence[float]) -> None:
        """Append one point to each curve and redraw."""
        if not hasattr(y, "__len__"):
            y = [y]  # type: ignore[list-item]
        n = len(y)  # type: ignore[arg-type]
        if not hasattr(x, "__len__"):
            x = [x] * n  # type: ignore[list-item]
        if len(x) != n:  # type: ignore[arg-type]
            raise ValueError(f"add() got {len(x)} x-values for {n} y-values.")  # type: ignore[arg-type]
        if self.Y is None:
            self.X = [[] for _ in range(n)]
            self.Y = [[] for _ in range(n)]
        elif len(self.Y) != n:
            raise ValueError(f"this Animator draws {len(self.Y)} curves, add() got {n} values.")
        assert self.X is not None
        for i, (a, b) in enumerate(zip(x, y)):  # type: ignore[arg-type]
            if a is not None and b is not None:
                self.X[i].append(float(a))
                self.Y[i].append(float(b))
        ax = self.axes[0]
        ax.cla()
        for xs, ys, fmt in zip(self.X, self.Y, self.fmts):
            ax.plot(xs, ys, fmt)
        self._config()
        if self.display:
            self._show()

    def _show(self) -> None:
        from IPython.display import Image, display

        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png")
        image = Image(data=buffer.getvalue(), format="png")
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)


def show_images(
    imgs: Any, num_rows: int, num_cols: int, titles: Sequence[str] | None = None, scale: float = 1.5
) -> np.ndarray:
    """Show a grid of images; return the flat array of ``Axes``. Section 2.1.

    ``imgs`` is a sequence (or a tensor) of images of shape ``(H, W)``,
    ``(1, H, W)`` or ``(H, W, 3)``.

    >>> axes = show_images(torch.zeros(2, 28, 28), 1, 2, titles=["a", "b"])
    >>> [ax.get_title() for ax in axes]
    ['a', 'b']
    """
    for name, value in (("num_rows", num_rows), ("num_cols", num_cols)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    if len(imgs) > num_rows * num_cols:
        raise ValueError(f"{len(imgs)} images do not fit a {num_rows}x{num_cols} grid.")
    if titles is not None and len(titles) < len(imgs):
        raise ValueError(f"got {len(titles)} titles for {len(imgs)} images.")
    figsize = (num_cols * scale, num_rows * scale * (1.25 if titles else 1.0))
    # Constrained layout keeps a figure title (fig.suptitle) clear of the image titles.
    _, axes = _plt().subplots(num_rows, num_cols, figsize=figsize, squeeze=False, layout="constrained")
    axes = axes.ravel()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        img = _to_numpy(img)
        if img.ndim == 3 and img.shape[0] == 1:
            img = img[0]
        if img.ndim not in (2, 3):
            raise ValueError(f"image {i} has shape {img.shape}; expected (H, W), (1, H, W) or (H, W, 3).")
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i], fontsize=9)
    for ax in axes[len(imgs):]:
        ax.set_visible(False)
    return axes


def predict_ch3(net: Callable[[torch.Tensor], torch.Tensor], test_iter: Any, n: int = 6) -> np.ndarray:
    """Show the first ``n`` test images with true and predicted labels. Section 2.2.

    Titles read ``true`` on the first line and ``predicted`` on the second.
    Returns the ``Axes`` of the images.
    """
    from .data import get_fashion_mnist_labels

    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive int, got {n!r}.")
    X, y = next(iter(test_iter))
    if n > len(X):
        raise ValueError(f"n={n} is larger than a batch of test_iter ({len(X)} images).")
    with torch.no_grad():
        preds = net(X[:n]).argmax(dim=1)
    trues = get_fashion_mnist_labels(y[:n])
    titles = [f"{t}\n{p}" for t, p in zip(trues, get_fashion_mnist_labels(preds))]
    return show_images(X[:n].reshape(n, *X.shape[-2:]), 1, n, titles=titles)


def plot_activation(
    fn: Callable[[torch.Tensor], torch.Tensor],
    name: str,
    x: torch.Tensor | None = None,
    axes: Any = None,
) -> Any:
    """Plot an activation function and its derivative computed by autograd. Section 3.1.

    The derivative comes from ``fn(x).sum().backward()``: since each output
    depends only on its own input, the gradient of the sum is the elementwise
    derivative.  Returns the two ``Axes`` (function, derivative).

    >>> ax_f, ax_d = plot_activation(torch.relu, "ReLU")
    >>> ax_d.get_title()
    'derivative of ReLU'
    """
    if x is None:
        x = torch.linspace(-6.0, 6.0, 241)
    x = x.detach().clone().requires_grad_(True)
    y = fn(x)
    if not isinstance(y, torch.Tensor) or y.shape != x.shape:
        raise ValueError(f"fn must map a tensor to one of the same shape, got {getattr(y, 'shape', type(y))}.")
    y.sum().backward()
    if axes is None:
        _, axes = _plt().subplots(1, 2, figsize=(7, 2.5), layout="constrained")
    ax_f, ax_d = axes
    plot(x, y, "x", f"{name}(x)", axes=ax_f, title=name)
    plot(x, x.grad, "x", f"d {name}(x) / dx", axes=ax_d, title=f"derivative of {name}")
    return ax_f, ax_d


def plot_training_curves(
    history: dict[str, Sequence[float]], axes: Any = None, title: str | None = None
) -> Any:
    """Plot the losses and the scores of a training history side by side. Section 3.5.

    Keys ending in ``loss`` go to the left plot, keys ending in ``acc`` or
    ``score`` to the right one; ``history["epoch"]``, when present, gives the
    x-values.  Works with the histories of :func:`train_ch3` and
    :class:`~course_utils.runner.Runner`.  Returns the two ``Axes``.
    """
    losses = [k for k in history if k.endswith("loss")]
    scores = [k for k in history if k.endswith(("acc", "score"))]
    if not losses and not scores:
        raise ValueError(f"history has no key ending in 'loss', 'acc' or 'score': {sorted(history)}.")
    if axes is None:
        _, axes = _plt().subplots(1, 2, figsize=(8, 3), layout="constrained")
    for ax, keys, ylabel in ((axes[0], losses, "loss"), (axes[1], scores, "score")):
        for key, fmt in zip(keys, DEFAULT_FMTS):
            values = list(history[key])
            epochs = list(history.get("epoch", range(1, len(values) + 1)))
            ax.plot(epochs[: len(values)], values, fmt, label=key.replace("_", " "))
        _config_axes(ax, "epoch", ylabel, None, None, "linear", "linear", None, None)
        if keys:
            ax.legend()
    if title:
        axes[0].figure.suptitle(title)
    return axes


def plot_decision_boundary(
    predict: Callable[[torch.Tensor], torch.Tensor],
    X: torch.Tensor,
    y: torch.Tensor,
    ax: Any = None,
    threshold: float = 0.5,
    resolution: int = 200,
    title: str | None = None,
) -> Any:
    """Shade where ``predict`` (probabilities of class 1) is above ``threshold``. Section 3.5.

    ``X`` holds 2-D points and ``y`` their 0/1 labels, drawn on top.  Returns
    the ``Axes``.
    """
    X = torch.as_tensor(X, dtype=torch.float32)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must hold 2-D points, shape (N, 2), got {tuple(X.shape)}.")
    if y.numel() != X.shape[0]:
        raise ValueError(f"y must hold one label per point: {X.shape[0]} points, {y.numel()} labels.")
    if ax is None:
        _, ax = _plt().subplots(figsize=(4, 3.5), layout="constrained")
    lo, hi = X.min(0).values - 0.5, X.max(0).values + 0.5
    xs = torch.linspace(float(lo[0]), float(hi[0]), resolution)
    ys = torch.linspace(float(lo[1]), float(hi[1]), resolution)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    with torch.no_grad():
        p = predict(torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1))
    if p.numel() != gx.numel():
        raise ValueError(f"predict must return one probability per point, got shape {tuple(p.shape)}.")
    p = p.reshape(gx.shape)
    ax.contourf(gx.numpy(), gy.numpy(), (p >= threshold).float().numpy(), levels=[-0.5, 0.5, 1.5],
                colors=["#cfe2f3", "#f9d5c5"])
    labels = y.reshape(-1)
    for cls, color, marker in ((0, "tab:blue", "o"), (1, "tab:red", "^")):
        pts = X[labels == cls].numpy()
        ax.scatter(pts[:, 0], pts[:, 1], s=8, c=color, marker=marker, label=f"class {cls}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title)
    return ax
