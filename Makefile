# Two entry points for a newcomer: `make repro` (whole pipeline) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Same allocator settings as the train stage in dvc.yaml (why: see there).
MALLOC := glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=100000000000

$(BIN)/ecgcnn: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c requirements.lock -e '.[dev]'
	touch $@

.PHONY: venv repro test lint bench html-template plots-page package-model
venv: $(BIN)/ecgcnn

# dvc runs each stage's `python` from PATH: put the venv first.
repro: venv
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dvc repro

# Two workers, one test module each: the end-to-end repro (one module, mostly one core)
# runs beside all the other tests. The 15 slowest are listed, to see where CI's time goes.
test: venv
	$(BIN)/ruff check src stages tests experiments bench
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest -n 2 --dist loadfile --durations 15

# No preallocation: on a GPU, JAX would reserve 75 % of its memory up front, and the
# benchmark's child processes (training, predict) and PyTorch need their share.
bench: venv
	$(BIN)/pip install -q -c requirements.lock -e '.[bench]'
	XLA_PYTHON_CLIENT_PREALLOCATE=false GLIBC_TUNABLES=$(MALLOC) PATH=$(CURDIR)/$(BIN):$$PATH \
		$(BIN)/python -m ecgcnn.bench

# Rebuild .dvc/plots_offline.html from the pinned npm tarballs (checksums verified).
html-template: venv
	$(BIN)/python -m ecgcnn.html_template

# `dvc plots show`, then the page opened offline in headless Chromium: the README's screenshot.
plots-page: venv
	$(BIN)/dvc plots show
	$(BIN)/python -m ecgcnn.browser dvc_plots/index.html docs/plots_page.png

# Copy the committed run's default model (ecgcnn/default_model.py) into the package.
package-model: venv
	$(BIN)/python -m ecgcnn.package_model
