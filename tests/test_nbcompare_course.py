"""On a course notebook: a different learning rate moves its accuracies beyond the declared tolerance.

Section 2.3 trains softmax regression with lr 0.1 and prints the losses and
accuracies after training in a cell that declares a tolerance.  Here the same
notebook, cut after that cell, runs with lr 0.03 under ``pytest --nbval`` and
the portable comparison (``--nbval-compare=tolerant``, as on another machine):
the training cell must fail, because the numbers moved by more than the cell
allows, while the cells before it still pass.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "chapters" / "02_softmax_regression" / "03_softmax_regression_concise.ipynb"
LEARNING_RATE = re.compile(r"^lr, num_epochs = 0\.1, 10$", re.M)


def test_a_changed_learning_rate_fails_the_declared_tolerance(pytester, monkeypatch):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    training = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and LEARNING_RATE.search(c.source)),
                    None)
    assert training is not None, f"{NOTEBOOK.name} no longer sets 'lr, num_epochs = 0.1, 10': update this test"
    cell = nb.cells[training]
    assert "tolerance" in cell.metadata, "the training cell should declare a tolerance"
    cell.source = LEARNING_RATE.sub("lr, num_epochs = 0.03, 10", cell.source)
    nb.cells = nb.cells[: training + 1]
    code_before = sum(c.cell_type == "code" for c in nb.cells[:training])
    nbformat.write(nb, pytester.path / "lr.ipynb")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT / "scripts"), os.environ.get("PYTHONPATH", "")]))
    result = pytester.runpytest_subprocess("-p", "nbcompare", "-p", "no:cacheprovider", "--nbval",
                                           "--nbval-current-env", "--nbval-compare=tolerant", "lr.ipynb")
    out = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout.str())
    result.assert_outcomes(passed=code_before, failed=1)
    assert f"lr.ipynb::Cell {code_before}" in out
    assert "Outputs differ beyond the tolerance" in out
    assert f"declared tolerance abs {cell.metadata['tolerance']['abs']:g}" in out, out[-3000:]
    print(next(line for line in out.splitlines() if "is now" in line), file=sys.stderr)
