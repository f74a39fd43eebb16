#!/usr/bin/env bash
# The second stack: every notebook executed on another Python with other torch,
# torchvision and NumPy releases, in its own virtual environment .venv-stack2.
# Outputs are not compared (pytest --nbval-lax): the claims are. Every cell must
# run and every assert must hold.
#
#   bash scripts/second_stack.sh          # or: make stack2-test
#
# Python: $STACK2_PYTHON, else the first of python3.12 / python3.13 that runs
# (pyenv's versions included). torch and torchvision: $STACK2_TORCH and
# $STACK2_TORCHVISION (default 2.9.1 and 0.24.1), from the package registry;
# everything else at the newest release pip finds (no constraints file).
set -euo pipefail
cd "$(dirname "$0")/.."
torch_version=${STACK2_TORCH:-2.9.1}
torchvision_version=${STACK2_TORCHVISION:-0.24.1}
venv=${STACK2_VENV:-.venv-stack2}

python=${STACK2_PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.12 python3.13 "$HOME"/.pyenv/versions/3.12*/bin/python3.12 \
                   "$HOME"/.pyenv/versions/3.13*/bin/python3.13; do
    if "$candidate" -c 'import sys; assert sys.version_info[:2] in ((3, 12), (3, 13))' 2>/dev/null; then
      python=$candidate
      break
    fi
  done
fi
if [ -z "$python" ]; then
  echo "second stack: no Python 3.12 or 3.13 found; set STACK2_PYTHON=/path/to/python3.12" >&2
  exit 2
fi

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "torch==$torch_version" "torchvision==$torchvision_version" \
  -e . pytest pytest-xdist nbval ipykernel nbclient
"$venv/bin/python" - <<'PY'
import platform, numpy, torch, torchvision
print(f"second stack: Python {platform.python_version()}, torch {torch.__version__}, "
      f"torchvision {torchvision.__version__}, NumPy {numpy.__version__}")
PY
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0
export MPLBACKEND=module://matplotlib_inline.backend_inline
exec "$venv/bin/python" -m pytest -n "${PYTEST_JOBS:-2}" --dist loadfile -p no:cacheprovider \
  --nbval-lax --nbval-current-env chapters
