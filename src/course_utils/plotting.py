"""Plot helpers.

* :func:`plot`, :func:`set_figsize`, :func:`use_svg_display`: section 1.2.
* :func:`show_images`: section 2.1.
* :class:`Animator`, :func:`predict_ch3`: section 2.2.
* :func:`plot_activation`: section 3.1.
* :func:`plot_training_curves`, :func:`plot_decision_boundary`: section 3.5.

Every function returns what it drew on.  Those that take an ``Axes``
(``axes=`` or ``ax=``) draw there; without one they make their own figure with
pyplot, so Jupyter shows it at the end of the cell and ``plt.close`` works as
usual.  :class:`Animator` is the exception: it owns a standalone ``Figure``
(outside pyplot) that it redraws in place, so the notebook does not show it
twice.  Only :func:`set_figsize` (the default size of :func:`plot` and
:class:`Animator`, and matplotlib's) and :func:`use_svg_display` change
settings, which is what they are for.
"""

from __future__ import annotations

import io
from typing import Any, Callable, Sequence

import matplotlib
import numpy as np
import torch

from . import _checks

__all__ = [
    "Animator",
    "plot",
    "plot_activation",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_training_curves",
    "predict_ch3",
    "set_figsize",
    "show_images",
    "use_svg_display",
]

DEFAULT_FMTS = ("-", "m--", "g-.", "r:")

#: d2l's figure size, used by plot() and Animator when no figsize is given; set_figsize changes it.
_FIGSIZE: list[tuple[float, float]] = [(3.5, 2.5)]


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

    >>> use_svg_display()  # from now on Jupyter draws SVG
    >>> from matplotlib_inline.backend_inline import set_matplotlib_formats
    >>> set_matplotlib_formats("png")  # back to the course's PNG
    """
    from matplotlib_inline import backend_inline

    backend_inline.set_matplotlib_formats("svg")


def _figsize(func: str, figsize: Any) -> tuple[float, float]:
    if figsize is None:
        return _FIGSIZE[0]
    if not isinstance(figsize, (tuple, list)) or len(figsize) != 2:
        raise _checks.fail(func, "figsize", "a (width, height) pair of inches", figsize, error=TypeError)
    return tuple(_checks.number(func, "figsize", v, low=0.0, low_open=True) for v in figsize)  # type: ignore[return-value]


def set_figsize(figsize: tuple[float, float] = (3.5, 2.5)) -> None:
    """Set the default figure size, in inches (a global setting, on purpose). Section 1.2.

    It is the size of :func:`plot` and :class:`Animator` figures made without
    ``figsize``, and matplotlib's default for other new figures.

    >>> set_figsize((4, 3)); plot([1.0, 2.0]).figure.get_size_inches().tolist()
    [4.0, 3.0]
    >>> set_figsize()  # back to d2l's 3.5 x 2.5
    """
    size = _figsize("set_figsize", figsize)
    _FIGSIZE[0] = size
    matplotlib.rcParams["figure.figsize"] = size


def _check_curves(func: str, legend: Any, fmts: Any) -> tuple[list[str], list[str]]:
    legend = [] if legend is None else _checks.strings(func, "legend", legend)
    fmts = _checks.strings(func, "fmts", fmts, allow_empty=False) if not isinstance(fmts, str) else _checks.strings(
        func, "fmts", fmts)
    return legend, fmts


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
    figsize: tuple[float, float] | None = None,
    axes: Any = None,
    title: str | None = None,
) -> Any:
    """Plot one or more curves, as d2l's ``plot``; return the ``Axes``. Section 1.2.

    ``X`` and ``Y`` may be lists of curves; with ``Y=None``, ``X`` holds the
    y-values and the x-values are their indices.  ``legend`` and ``fmts`` are
    lists of strings (one per curve; the formats repeat when there are more
    curves); ``figsize`` defaults to d2l's 3.5 x 2.5 inches or what
    :func:`set_figsize` set.

    >>> ax = plot(torch.arange(3.0), [torch.arange(3.0) ** 2], xlabel="x", ylabel="x^2")
    >>> ax.get_xlabel()
    'x'
    """

    def has_one_axis(v: Any) -> bool:
        return (hasattr(v, "ndim") and v.ndim == 1) or (isinstance(v, list) and not hasattr(v[0], "__len__"))

    if X is None:
        raise ValueError("plot(): X must hold the values to plot, got None.")
    legend, fmts = _check_curves("plot", legend, fmts)
    figsize = _figsize("plot", figsize)
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
        figsize: tuple[float, float] | None = None,
        title: str | None = None,
        display: bool | None = None,
    ) -> None:
        from matplotlib.figure import Figure

        # d2l's signature has nrows and ncols, but its Animator (and this one) only ever draws
        # on the first Axes: refuse a grid rather than show empty panels.
        for name, value in (("nrows", nrows), ("ncols", ncols)):
            if _checks.positive_int("Animator", name, value) != 1:
                raise ValueError(
                    f"Animator(): {name} must be 1: it draws all curves on one Axes (d2l's Animator draws "
                    f"only the first of a grid too), got {value}. Use one Animator per panel."
                )
        self.legend, self.fmts = _check_curves("Animator", legend, fmts)
        if display is not None:
            _checks.flag("Animator", "display", display)
        self.fig = Figure(figsize=_figsize("Animator", figsize), layout="constrained")
        self.axes = np.array([self.fig.subplots()])
        self._config = lambda: _config_axes(
            self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, self.legend, title
        )
        self.X: list[list[float]] | None = None
        self.Y: list[list[float]] | None = None
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
        if self.legend and len(self.legend) != n:
            raise ValueError(f"Animator.add(): the legend names {len(self.legend)} curves, add() got {n} values.")
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

    def show(self) -> None:
        """Show the figure as it is now, once, below the cell (in Jupyter; elsewhere nothing).

        With ``display=False`` the Animator draws every point without showing
        it, which is faster; ``show()`` then shows the finished figure.
        Introduced in section 3.6.

        >>> animator = Animator(xlabel="epoch", legend=["train"], display=False)
        >>> animator.add(1, 0.5); animator.show()  # outside Jupyter: nothing to show
        """
        if not _in_jupyter():
            return
        from IPython.display import Image, display

        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png")
        display(Image(data=buffer.getvalue(), format="png"))

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
    num_rows = _checks.positive_int("show_images", "num_rows", num_rows)
    num_cols = _checks.positive_int("show_images", "num_cols", num_cols)
    imgs = _checks.sequence_of("show_images", "imgs", imgs)
    if titles is not None:
        titles = _checks.strings("show_images", "titles", titles)
    scale = _checks.number("show_images", "scale", scale, low=0.0, low_open=True)
    if len(imgs) > num_rows * num_cols:
        raise ValueError(f"show_images(): {len(imgs)} images do not fit a {num_rows}x{num_cols} grid.")
    if titles is not None and len(titles) < len(imgs):
        raise ValueError(f"show_images(): got {len(titles)} titles for {len(imgs)} images.")
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

    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    >>> axes = predict_ch3(net, [(torch.zeros(8, 1, 28, 28), torch.arange(8))], n=3)
    >>> len(axes)
    3
    """
    from .fashion_mnist import get_fashion_mnist_labels

    n = _checks.positive_int("predict_ch3", "n", n)
    X, y = next(iter(_checks.batches("predict_ch3", "test_iter", test_iter)))
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
        raise ValueError(
            f"plot_activation(): fn must map a tensor to one of the same shape, got {getattr(y, 'shape', type(y))}."
        )
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

    >>> ax_loss, ax_score = plot_training_curves({"epoch": [1, 2], "train_loss": [0.9, 0.5], "test_acc": [0.6, 0.8]})
    >>> ax_loss.get_ylabel(), ax_score.get_ylabel()
    ('loss', 'score')
    """
    losses = [k for k in history if k.endswith("loss")]
    scores = [k for k in history if k.endswith(("acc", "score"))]
    if not losses and not scores:
        raise ValueError(f"plot_training_curves(): history has no key ending in 'loss', 'acc' or 'score': {sorted(history)}.")
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
    """Shade the regions of the plane that ``predict`` gives to each class. Section 3.5.

    ``X`` holds 2-D points and ``y`` their labels, drawn on top.  For a binary
    classifier ``predict`` returns the probability of class 1 (one number per
    point) and the shaded region is where it reaches ``threshold``; for ``C``
    classes it returns one row of ``C`` scores per point and each point of the
    plane gets the class of its largest score (labels ``0 .. C-1``, as in
    section 2.2).  Returns the ``Axes``.

    >>> X = torch.tensor([[0.0, 0.0], [1.0, 1.0]]); y = torch.tensor([0.0, 1.0])
    >>> plot_decision_boundary(lambda P: (P.sum(1) > 1).float(), X, y, title="x1 + x2 > 1").get_title()
    'x1 + x2 > 1'
    >>> scores = lambda P: torch.stack([-P[:, 0], P[:, 0], P[:, 1]], dim=1)  # three classes
    >>> ax = plot_decision_boundary(scores, torch.randn(30, 2), torch.randint(0, 3, (30,)))
    >>> len(ax.get_legend().get_texts())
    3
    """
    func = "plot_decision_boundary"
    X = _checks.tensor(func, "X", X, dtype=torch.float32)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(f"{func}(): X must hold 2-D points, shape (N, 2), got {tuple(X.shape)}.")
    _checks.finite(func, "X", X)
    y = _checks.tensor(func, "y", y)
    if y.numel() != X.shape[0]:
        raise ValueError(f"{func}(): y must hold one label per point: {X.shape[0]} points, {y.numel()} labels.")
    threshold = _checks.number(func, "threshold", threshold)
    resolution = _checks.positive_int(func, "resolution", resolution)
    lo, hi = X.min(0).values - 0.5, X.max(0).values + 0.5
    xs = torch.linspace(float(lo[0]), float(hi[0]), resolution)
    ys = torch.linspace(float(lo[1]), float(hi[1]), resolution)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    with torch.no_grad():
        p = predict(torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1))
    if not isinstance(p, torch.Tensor):
        raise TypeError(f"{func}(): predict must return a tensor, got {type(p).__name__}.")
    labels = y.reshape(-1)
    multi = p.ndim == 2 and p.shape[0] == gx.numel() and p.shape[1] > 1
    if multi:
        n_classes = p.shape[1]
        if not bool((labels == labels.round()).all()) or labels.min() < 0 or labels.max() >= n_classes:
            raise ValueError(f"{func}(): y must hold the labels 0 to {n_classes - 1} of the {n_classes} classes "
                             "whose scores predict returns.")
        region = p.argmax(dim=1).reshape(gx.shape).float()
    else:
        if p.numel() != gx.numel():
            raise ValueError(f"{func}(): predict must return one probability per point (binary) or one row of "
                             f"class scores per point, got shape {tuple(p.shape)}.")
        if not bool(((labels == 0) | (labels == 1)).all()):
            raise ValueError(f"{func}(): y must hold the labels 0 and 1 (a binary classifier's classes); for more "
                             "classes, let predict return one score per class.")
        n_classes = 2
        region = (p.reshape(gx.shape) >= threshold).float()
    if ax is None:
        _, ax = _plt().subplots(figsize=(4, 3.5), layout="constrained")
    colors = ["tab:blue", "tab:red", "tab:green", "tab:orange", "tab:purple", "tab:brown"] * 2
    fills = ["#cfe2f3", "#f9d5c5", "#d9ead3", "#fce5cd", "#e1d5e7", "#e6d4c8"] * 2
    if n_classes > len(colors):
        raise ValueError(f"{func}(): at most {len(colors)} classes can be drawn, got {n_classes}.")
    ax.contourf(gx.numpy(), gy.numpy(), region.numpy(), levels=[c - 0.5 for c in range(n_classes + 1)],
                colors=fills[:n_classes])
    for cls in range(n_classes):
        pts = X[labels == cls].numpy()
        ax.scatter(pts[:, 0], pts[:, 1], s=8, c=colors[cls], marker="o^sDvP<>"[cls % 8], label=f"class {cls}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_confusion_matrix(
    confusion: torch.Tensor, labels: Sequence[str], ax: Any = None, title: str = "Confusion matrix"
) -> Any:
    """Draw a confusion matrix: row ``i``, column ``j`` counts the examples of class ``i`` predicted as ``j``.

    ``confusion`` is a square tensor of counts (compute it in the lesson, for
    example with ``torch.bincount(y * C + pred, minlength=C * C).reshape(C, C)``)
    and ``labels`` names the classes.  The colour bar counts examples.
    Returns the ``Axes``.  Introduced in section 2.2.

    >>> ax = plot_confusion_matrix(torch.tensor([[5, 1], [2, 7]]), ["cat", "dog"])
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_yticklabels()]
    ('predicted class', ['cat', 'dog'])
    """
    func = "plot_confusion_matrix"
    confusion = _checks.tensor(func, "confusion", confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"{func}(): confusion must be a square matrix of counts, got shape {tuple(confusion.shape)}.")
    labels = _checks.strings(func, "labels", labels)
    if len(labels) != confusion.shape[0]:
        raise ValueError(f"{func}(): {len(labels)} labels for a {confusion.shape[0]} x {confusion.shape[0]} matrix; "
                         "give one name per class.")
    if ax is None:
        _, ax = _plt().subplots(figsize=(6, 5), layout="constrained")
    image = ax.imshow(confusion.numpy(), cmap="Blues")
    ax.figure.colorbar(image, ax=ax, label="number of examples")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    return ax
