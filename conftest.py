"""Root conftest of the course: loads the portable output comparison for ``pytest --nbval``.

``scripts/nbcompare.py`` compares notebook outputs exactly where the machine's
fingerprint matches the one stored with the outputs, and elsewhere compares
text exactly and numbers within the tolerance each cell declares (see its
docstring and CONTRIBUTING.md, "Portable outputs").
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "scripts"))

# pytester: tests/test_nbcompare.py runs notebooks through the plugin in a subprocess.
pytest_plugins = ["nbcompare", "pytester"]
