# The course's commands. `make book` and `make test` do all set-up on a fresh machine
# that has Python 3.11 and make: they create .venv, install requirements.txt and
# course_pkg (editable), then build or test.
SHELL := /bin/bash
PYTHON_SYS ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg
# One BLAS thread for tests, notebooks and the lab: the course's matrices are small, and
# OpenBLAS threads that spin beside torch's (or another process) slow them down many times.
# `make bench` sets threads itself (--threads).
test test-kernels execute lab exercises: export OPENBLAS_NUM_THREADS := 1
test test-kernels execute lab exercises: export OMP_NUM_THREADS := 1

.PHONY: help setup book book-zh translations test test-kernels bench lab execute exercises grade gradescope clean
.DEFAULT_GOAL := help


help:
	@echo "make book       build the HTML book, English and Chinese (creates .venv first)"
	@echo "make book-zh    build the Chinese edition only (_build/html/zh)"
	@echo "make translations  after editing English text: refresh the Chinese catalogues (locales/)"
	@echo "                   and the Chinese notebooks (zh/); then translate what is new or fuzzy"
	@echo "make test       every test: unit, strict nbval on notebooks/ and solutions/, exercises, grading"
	@echo "make test-kernels  the learning tests and notebooks under the OpenBLAS kernels Haswell,"
	@echo "                   SkylakeX, Prescott (SEEDS=0,1,2 to measure over seeds; several minutes)"
	@echo "make bench      time RNN, LSTM and GRU (NumPy and torch back-ends) against torch.nn,"
	@echo "                with the performance targets [BENCH_ARGS=\"--threads 1 --device cuda ...\"]"
	@echo "make lab        JupyterLab at the repository root"
	@echo "make execute    re-execute the chapter and solution notebooks in place (refresh stored outputs)"
	@echo "make exercises  regenerate exercises/ from solutions/"
	@echo "make grade      grade a class: SUBMISSIONS=dir EXERCISE=name|all [JOBS=2 TIMEOUT=60 MEMORY_MB=2048 OUT=dir ROSTER=csv MANUAL=csv DEADLINE=iso]"
	@echo "make clean      remove _build and caches (keeps .venv)"

setup: $(STAMP)

# PyPI's Linux wheel of torch is the multi-GB CUDA build; PyTorch's CPU index serves the CPU
# one. On Linux, when that index answers within 5 s, pip also looks there (course_pkg/_install.py);
# where it cannot be reached the install goes on without it. TORCH_INDEX= turns it off.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON_SYS) -m venv $(VENV)
	$(PY) -m pip install -q $$($(PY) course_pkg/_install.py "$(TORCH_INDEX)") -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	@touch $@

# The English edition in _build/html, the Chinese one (中文版) in _build/html/zh: built from the
# same sources with _config_zh.yml and the catalogues in locales/ (book/_ext/i18n.py).
book: $(STAMP)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	$(PY) book/_ext/i18n.py build
	@echo "The book: $(CURDIR)/_build/html/index.html (中文版: _build/html/zh/index.html)"

book-zh: $(STAMP)
	$(PY) book/_ext/i18n.py build

translations: $(STAMP)
	$(PY) book/_ext/i18n.py update
	$(PY) book/_ext/i18n.py notebooks

# One pytest worker per core (pytest-xdist), each notebook and each test file kept on one
# worker (--dist loadfile: a notebook's cells run in order in one kernel). JOBS_TEST=1 runs serially.
JOBS_TEST ?= auto
test: $(STAMP)
	$(PY) -m pytest -n $(JOBS_TEST) --dist loadfile tests notebooks solutions exercises $(NBVAL)

# Learning results and stored outputs must hold on every CPU and BLAS, not one: see
# tests/blas_kernels.sh and the README's contributor notes.
KERNELS ?= Haswell SkylakeX Prescott
SEEDS ?= 0
test-kernels: $(STAMP)
	bash tests/blas_kernels.sh $(PY) "$(SEEDS)" "$(KERNELS)" -- -q -n $(JOBS_TEST) --dist loadfile \
		$(wildcard tests/test_learning*.py) notebooks solutions exercises $(NBVAL)

# Options go in BENCH_ARGS, e.g. make bench BENCH_ARGS="--threads 1 --plot perf.png"
# or BENCH_ARGS="--device cuda" on a machine with a GPU (python -m course_pkg.bench --help).
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) -m course_pkg.bench $(BENCH_ARGS)

# binder/overrides.json: JupyterLab's settings for the course (no news prompt over the notebook
# a learner opens first), copied where JupyterLab reads overrides.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings
lab: $(STAMP)
	@mkdir -p $(LAB_SETTINGS) && cp binder/overrides.json $(LAB_SETTINGS)/overrides.json
	$(VENV)/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root)

execute: $(STAMP)
	$(PY) -m course_pkg.grading.execute notebooks/*.ipynb solutions/*.ipynb

exercises: $(STAMP)
	$(PY) -m course_pkg.grading.make_exercises solutions exercises

# Grade SUBMISSIONS/<student>/<EXERCISE>.ipynb into a gradebook (the book's "For instructors" page).
.PHONY: grade
JOBS ?= 1
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" -a -n "$(EXERCISE)" || { echo "usage: make grade SUBMISSIONS=dir EXERCISE=name|all [JOBS=N TIMEOUT=S MEMORY_MB=M OUT=dir]"; exit 2; }
	$(PY) -m course_pkg.grade "$(SUBMISSIONS)" --exercise "$(EXERCISE)" --jobs $(JOBS) \
		$(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(MEMORY_MB),--memory-mb $(MEMORY_MB)) $(if $(OUT),--out "$(OUT)") \
		$(if $(ROSTER),--roster "$(ROSTER)") $(if $(MANUAL),--manual "$(MANUAL)") $(if $(DEADLINE),--deadline "$(DEADLINE)")

# Gradescope's autograder zip for one exercise (book/instructors.md says how to upload it).
gradescope: $(STAMP)
	@test -n "$(EXERCISE)" || { echo "usage: make gradescope EXERCISE=name"; exit 2; }
	$(PY) -m course_pkg.grading.gradescope build "$(EXERCISE)" --out gradescope

clean:
	rm -rf _build .pytest_cache
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +
