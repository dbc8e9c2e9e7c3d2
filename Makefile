# painters: the workshop's commands. `make` alone lists them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# a CPU laptop has few cores: keep the notebooks' tests from fighting over them
NB_WORKERS ?= 1
# Jupyter refuses to run as root (CI and containers do) unless told
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.DEFAULT_GOAL := help
.PHONY: help setup lab test test-nbs test-py claims export outputs clean demo app bench recipe-cv probe-cv confirm calibrate bench-guard gpu-check gpu-wheels

help: ## list the targets
	@echo "painters workshop: make <target>"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 14

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install the workshop (re-runs only when pyproject.toml changed)

# the one library warning the workshop's kernels are spared (fastai 2.8 calls `torch.jit.script`, deprecated by torch, when
# imported); tools/outputs.py's QUIET is the same (a test ties them)
QUIET_WARNINGS := PYTHONWARNINGS='ignore:`torch.jit.script` is deprecated:FutureWarning'

lab: setup ## start JupyterLab on the workshop's notebooks (127.0.0.1, token auth; open the URL it prints)
	@$(BIN)/python -c "import os, torch; print(f'Each notebook kernel computes with {torch.get_num_threads()} threads (OMP_NUM_THREADS=' + os.environ.get('OMP_NUM_THREADS', 'unset') + '); on a crowded shared CPU hub set OMP_NUM_THREADS=1')"
	cd nbs && exec env $(QUIET_WARNINGS) ../$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --no-browser --ServerApp.root_dir=. $(ROOT_FLAG) $(LAB_ARGS)

export: setup ## regenerate painters/ and README.md from the notebooks, and clean the notebooks
	$(BIN)/nbdev-clean
	$(BIN)/nbdev-export
	$(BIN)/python tools/readme.py

# each lesson run top to bottom as a learner would (their sizes and epochs, offline unless the internet answers), its
# outputs stored in place with a line saying how they were made; nbs/_outputs.json records which code made them
outputs: setup ## run the lessons as a learner would and store their outputs (NB=03 for one lesson); prints each one's run time
	$(BIN)/python tools/outputs.py $(NB)
	$(BIN)/nbdev-clean

# every notebook in order, as a learner's Run All would (test sizes), in a fresh temporary learner home, with the cells
# flagged `internet` included and the network refused (a proxy that nothing answers; 127.0.0.1 stays reachable for the
# notebooks' own loopback servers): each must say it skipped. Afterwards every model the notebooks exported (into the
# learner home, or a lesson's own test-size home: PAINTERS_LESSON_HOMES keeps those) must load, and there must be some.
REFUSE_NETWORK := HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
test-nbs: setup
	@home=$$(mktemp -d -t painters-learner-XXXXXX); echo "notebooks run offline, in order, in a fresh learner home: $$home"; \
	mkdir -p $$home/lessons; $(REFUSE_NETWORK) PAINTERS_OFFLINE=auto PAINTERS_DATA=$$home/data PAINTERS_MODELS=$$home/models \
	  PAINTERS_LESSON_HOMES=$$home/lessons $(BIN)/nbdev-test --n-workers $(NB_WORKERS) --flags internet --timing \
	  && $(BIN)/python tools/check_models.py $$home/models $$home/lessons; rc=$$?; rm -rf $$home; exit $$rc

test-py: setup
	$(BIN)/python -m pytest -q -rs tests

# an assertion in a notebook is a claim: it must hold for every seed, not for one roll of the dice
claims: setup ## run the notebooks at test size under SEEDS seeds (default 10; NB="01 03" for some; SIZE=learner for the lessons' own sizes) and list each assertion that failed in any
	$(BIN)/python tools/claims.py --seeds $(or $(SEEDS),10) $(if $(filter learner,$(SIZE)),--learner) $(NB)

test: setup ## run every notebook as a test (nbdev-test), then the pytest suite
	$(MAKE) --no-print-directory test-nbs
	$(MAKE) --no-print-directory test-py

# the app page: Voilà on 127.0.0.1 (APP_PORT), serving nbs/06_app.ipynb with the newest model in the models folder
APP_PORT ?= 8866
app: setup ## the painter app as a web page (Voilà on http://127.0.0.1:8866; uses the newest model in models/)
	$(QUIET_WARNINGS) $(BIN)/voila nbs/06_app.ipynb --no-browser --Voila.ip=127.0.0.1 --port=$(APP_PORT) --Voila.port_retries=0 $(VOILA_ARGS)

# the demo: offline, a few minutes on a 2-core laptop; it writes only models/demo.pkl and folders under data/
DEMO_EPOCHS ?= 1
demo: setup ## the whole job, offline: generated paintings, fine-tuning, results table, exported model, 4 predictions
	$(BIN)/painters sample
	$(BIN)/painters train generated --epochs $(DEMO_EPOCHS) --out models/demo.pkl --force $(DEMO_ARGS)
	$(BIN)/painters sample --dest data/demo-unseen --n 2 --seed 2026
	$(BIN)/painters predict models/demo.pkl data/demo-unseen/*/*.jpg

bench: setup ## measure speed, one table: fastai vs a plain loop, data loading, notebooks, the test suite before/after, 1 vs 2 processes (BENCH=quick|notebooks|pytest|dist)
	$(BIN)/python bench/speed.py --only $(or $(BENCH),all)

# does the recipe beat a linear probe or fastai's default on these paintings? `compare_recipes` (painters.compare): every
# candidate at the same size and augmentation on the same folds, then paired tests (minutes per fold and candidate on a CPU)
DATA ?= data/commons
recipe-cv: setup ## the recipe (LP-FT) against a linear probe and fastai's fine_tune: same folds, size, augmentation; paired tests, on DATA (CV_ARGS)
	$(BIN)/python bench/recipe_cv.py $(DATA) $(CV_ARGS)

# what moves a frozen-feature probe's error? backbones, sizes, crops, layers, flips, ensembles: repeated folds, intervals, paired tests
probe-cv: setup ## frozen-feature probes compared on DATA: 5 repeats x 4 folds, 95% intervals, paired tests (PROBE_ARGS, e.g. --only 'lite0@224;lite0@128')
	$(BIN)/python bench/probe_cv.py $(DATA) $(PROBE_ARGS)

# a choice made on some paintings, confirmed once on others: train each candidate on one half, score the other, paired test
confirm: setup ## candidates (NAME@SIZE) trained on one half of DATA, scored once on the other, McNemar test (CONFIRM_ARGS: --train CSV:NAME --score CSV:NAME --only ...)
	$(BIN)/python bench/confirm.py $(DATA) $(CONFIRM_ARGS)

# does the out-of-domain guard refuse what is not a painting, and let paintings through? one table of refusal rates
# (REAL=<folder of real paintings, one sub-folder per painter> adds cross-validated columns; GUARD_ARGS, e.g. --epochs 1)
bench-guard: setup ## the out-of-domain guard: refusals per kind of picture (paintings, flat colours, noise, text, photos, shifted paintings)
	$(BIN)/python bench/guard.py $(if $(REAL),--real $(REAL)) $(GUARD_ARGS)

# how hard is the generated set? fine_tune(4), linear probe, random weights and colour baseline per difficulty x set x seed
# (about an hour on a 2-core CPU for the default; try CALIBRATE_ARGS="--difficulty 0 0.5 1 --sets 1 --seeds 1" first)
calibrate: setup ## the generated set's difficulty, measured: one table of errors per difficulty, set and training seed (CALIBRATE_ARGS)
	$(BIN)/python bench/calibrate_set.py $(CALIBRATE_ARGS)

# the workshop on a CUDA GPU: every notebook (as test-nbs runs them), training speed in fp32/fp16/bf16 beside the CPU's,
# mixed precision's error rates, `painters train` under torchrun; one file, bench/results/gpu-<date>.md. It needs no
# `make setup`: on a GPU machine without internet it installs .whl/ (from `make gpu-wheels`) and keeps the machine's torch.
GPU_PYTHON = $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))
gpu-check: ## on a machine with a CUDA GPU: notebooks, speed, mixed precision and torchrun there, into bench/results/gpu-<date>.md (GPU_ARGS)
	$(GPU_PYTHON) tools/gpu_check.py $(GPU_ARGS)

gpu-wheels: setup ## download into .whl/ the wheels `make gpu-check` installs on a GPU machine without internet (Python 3.12)
	$(BIN)/python tools/gpu_wheels.py .whl

clean: ## remove the virtual environment, caches and build caches (never data/, models/, nbs/ or your own files)
	rm -rf $(VENV) .pytest_cache _proc _docs *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
