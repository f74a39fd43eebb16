"""Checks of arguments at the public boundary of course_utils, one rule each.

Every public function validates what it is given with these helpers, so the
same kind of mistake gets the same kind of message everywhere:

* a wrong **type** raises ``TypeError``, a wrong **value** ``ValueError``;
* the message names the function and the argument, says what was expected
  and what was received, and, where it helps, what to do.

Rules: a positive integer is any ``numbers.Integral`` (NumPy integers too)
except ``bool``; a flag is a ``bool``; a sequence of strings is a list or
tuple of ``str``, never a bare ``str`` (which would be split into letters); a
number is a finite real unless said otherwise; a data set is an ``(X, y)``
pair of tensors (tuple or list) or an iterable of such batches.  Deeper code
trusts its callers.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Sequence

import torch

Batch = tuple[torch.Tensor, torch.Tensor]


def _received(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def fail(func: str, name: str, expected: str, value: Any, fix: str = "", error: type = ValueError) -> Exception:
    """The exception for argument ``name`` of ``func``: expected, received, what to do."""
    message = f"{func}(): {name} must be {expected}, got {_received(value)}."
    if fix:
        message += f" {fix}"
    return error(message)


def integer(func: str, name: str, value: Any, minimum: int | None = None) -> int:
    """An integer (``numbers.Integral``, not ``bool``) of at least ``minimum``."""
    expected = "an int" if minimum is None else ("a positive int" if minimum == 1 else f"an int >= {minimum}")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise fail(func, name, expected, value, error=TypeError)
    if minimum is not None and value < minimum:
        raise fail(func, name, expected, value)
    return int(value)


def positive_int(func: str, name: str, value: Any) -> int:
    """A positive integer: ``numbers.Integral`` (NumPy integers too), not ``bool``."""
    return integer(func, name, value, minimum=1)


def flag(func: str, name: str, value: Any) -> bool:
    """``True`` or ``False`` (not ``"test"``, not ``0``)."""
    if not isinstance(value, bool):
        raise fail(func, name, "True or False", value, error=TypeError)
    return value


def number(
    func: str,
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number (a one-element tensor too) in the given range."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(func, name, "a number", value, error=TypeError)
    value = float(value)
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    expected = "a finite number" + (" " + " and ".join(parts) if parts else "")
    if not math.isfinite(value):
        raise fail(func, name, expected, value)
    if low is not None and (value < low or (low_open and value == low)):
        raise fail(func, name, expected, value)
    if high is not None and (value > high or (high_open and value == high)):
        raise fail(func, name, expected, value)
    return value


def strings(func: str, name: str, value: Any, allow_empty: bool = True) -> list[str]:
    """A list or tuple of ``str``; a bare ``str`` is refused (it would be split into letters)."""
    if isinstance(value, str):
        raise fail(func, name, "a list of strings", value, f"Write [{value!r}] for a single one.", TypeError)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise fail(func, name, "a list of strings", value, error=TypeError)
    if not allow_empty and not value:
        raise fail(func, name, "a non-empty list of strings", value)
    return list(value)


def tensor(func: str, name: str, value: Any, dtype: torch.dtype | None = None) -> torch.Tensor:
    """A tensor; NumPy arrays and (nested) lists of numbers are converted, anything else refused."""
    if isinstance(value, torch.Tensor):
        return value if dtype is None else value.to(dtype)
    if isinstance(value, (str, bytes, dict, set)) or value is None:
        raise fail(func, name, "a tensor (or an array or list of numbers)", value, error=TypeError)
    try:
        return torch.as_tensor(value, dtype=dtype)
    except (TypeError, ValueError, RuntimeError):
        raise fail(func, name, "a tensor (or an array or list of numbers)", value, error=TypeError) from None


def finite(func: str, name: str, t: torch.Tensor) -> torch.Tensor:
    """``t`` itself, after checking that it holds no NaN or infinity."""
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        bad = int((~torch.isfinite(t)).sum())
        raise ValueError(f"{func}(): {name} holds {bad} NaN or infinite value(s); check what produced it.")
    return t


def nonempty(func: str, name: str, t: torch.Tensor) -> torch.Tensor:
    if t.numel() == 0:
        raise ValueError(f"{func}(): {name} is empty (shape {tuple(t.shape)}); give at least one example.")
    return t


def is_pair(data: Any) -> bool:
    """Whether ``data`` is an ``(X, y)`` pair of tensors, as a tuple or a list."""
    return isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data)


def batches(func: str, name: str, data: Any) -> Iterable[Batch]:
    """A data set as batches: an ``(X, y)`` pair (tuple or list) is one batch; an iterable is iterated."""
    if is_pair(data):
        X, y = data
        if len(X) != len(y):
            raise ValueError(f"{func}(): {name} pairs {len(X)} inputs with {len(y)} targets; they must match.")
        return [(X, y)]
    if isinstance(data, (torch.Tensor, str, bytes)) or not hasattr(data, "__iter__"):
        raise fail(func, name, "an (X, y) pair of tensors or an iterable of (X, y) batches (e.g. a DataLoader)",
                   data, error=TypeError)
    return data


def batch(func: str, X: Any, y: Any) -> Batch:
    """One ``(X, y)`` batch of tensors with the same number of examples."""
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(
            f"{func}(): batches must be (X, y) pairs of tensors, got ({type(X).__name__}, {type(y).__name__})."
        )
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{func}(): a batch has inputs of shape {tuple(X.shape)} and targets of shape {tuple(y.shape)}; "
            "both need one row per example."
        )
    return X, y


def sequence_of(func: str, name: str, value: Any) -> Sequence[Any]:
    """A list or tuple (or a tensor / array), not a bare string or a mapping."""
    if isinstance(value, (str, bytes, dict, set)) or not hasattr(value, "__len__"):
        raise fail(func, name, "a sequence (list, tuple or tensor)", value, error=TypeError)
    return value
