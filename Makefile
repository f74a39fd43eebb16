# The two commands a newcomer needs (see README.md):
#   make book   set up .venv (once) and build the site into _build/html
#   make test   set up .venv (once) and run every test: unit tests + pytest --nbval on all notebooks
# Maintainers:
#   make regenerate   re-execute the notebooks and store their outputs (the only way to change them)
#   make linkcheck    check the internal links of the built site
#   make constraints  re-pin requirements/constraints.txt from .venv after an upgrade

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.course-installed
# One thread per kernel and two notebooks at a time: reproducible outputs and the
# fastest suite on 2 cores (measured in benchmarks/). The regeneration command uses the same.
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PYTHONHASHSEED := 0
# The kernels draw with Jupyter's inline backend whatever the caller's MPLBACKEND.
export MPLBACKEND := module://matplotlib_inline.backend_inline
PYTEST_JOBS ?= 2

.PHONY: setup book test unit notebooks regenerate linkcheck constraints clean kernels-test stack2-test

setup: $(STAMP)

# Reinstall only when the package definition or the pins change.
$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e ".[dev]"
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps d2l==0.17.6
	@touch $(STAMP)

# Both editions: the Chinese one (scripts/i18n.py, from locales/zh_CN) into _build/html/zh first,
# then the English one, whose offline pack _build/html/offline/pytorch-foundations.zip
# (_ext/course_site.py) holds both.
book: setup
	$(PY) scripts/i18n.py build
	$(VENV)/bin/jupyter-book build . -W --keep-going

# The docstring examples of course_utils run as tests too (--doctest-modules src/course_utils).
test: setup
	$(PY) -m pytest -n $(PYTEST_JOBS) --dist loadfile --nbval --nbval-current-env \
		--nbval-sanitize-with nbval_sanitize.cfg --doctest-modules tests src/course_utils chapters

unit: setup
	$(PY) -m pytest --doctest-modules tests src/course_utils

notebooks: setup
	$(PY) -m pytest -n $(PYTEST_JOBS) --dist loadfile --nbval --nbval-current-env \
		--nbval-sanitize-with nbval_sanitize.cfg chapters

# The notebooks again, with kernel settings that make this CPU compute other last bits (other
# vectorised kernels, MKL's compatible code path, oneDNN without AVX): a stand-in for another
# machine. The fingerprint then differs from the stored one, so outputs are compared within each
# cell's declared tolerance (scripts/nbcompare.py), and every assert must still hold.
KERNELS_ENV := ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE ONEDNN_MAX_CPU_ISA=SSE41
kernels-test: setup
	env $(KERNELS_ENV) $(PY) -m pytest -n $(PYTEST_JOBS) --dist loadfile --nbval --nbval-current-env \
		--nbval-sanitize-with nbval_sanitize.cfg chapters

# Every notebook's claims on a second stack (Python 3.12 or 3.13, torch 2.9.1, torchvision 0.24.1).
stack2-test:
	bash scripts/second_stack.sh

regenerate: setup
	$(PY) scripts/notebooks.py run -j $(PYTEST_JOBS)

linkcheck: setup
	@test -f _build/html/index.html || { echo "no built site: run 'make book' first"; exit 1; }
	$(PY) scripts/check_links.py --no-status _build/html/index.html

constraints: setup
	@{ echo "# Exact versions the stored notebook outputs were produced with (Python 3.11, x86_64)."; \
	   echo "# Used by the Makefile: pip install -c requirements/constraints.txt -e '.[dev]'."; \
	   echo "# Regenerate after an upgrade with: make constraints"; \
	   $(PY) -m pip freeze --exclude-editable | grep -v -i -E '^(course.utils|d2l)([=@ ]|$$)'; } > requirements/constraints.txt

clean:
	rm -rf _build

# Reader-experience checks of the built site (not part of `make test`; run `make book` first).
#   make browser-test  every page of _toc.yml in headless Chromium with no network but 127.0.0.1:
#                      no request leaves the machine, every formula rendered (no TeX left as text),
#                      Chinese glossary terms drawn with real glyphs, the "Verified" notes, images,
#                      Colab links, collapsed solutions, search; the offline pack opened from disk;
#                      saves one screenshot per chapter in artifacts/screenshots/
#   make colab-test    one notebook run alone, the way Colab runs it (course_utils installed by its setup cell)
#   make site-test     both
.PHONY: site-test browser-test colab-test

browser-test: setup
	@test -f _build/html/index.html || { echo "no built site: run 'make book' first"; exit 1; }
	$(PY) -m pytest -rP site_tests/test_browser.py site_tests/test_chinese_edition.py site_tests/test_offline_pack.py

colab-test: setup
	$(PY) -m pytest site_tests/test_colab_path.py

site-test: setup
	@test -f _build/html/index.html || { echo "no built site: run 'make book' first"; exit 1; }
	$(PY) -m pytest site_tests
