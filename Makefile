# KataForge: `make run` starts everything on embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY_SPY_VERSION = 0.4.3
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
MODEL := models/pose_landmarker_full.task
PROTO_SRC := $(wildcard protos/kataforge/*/v1/*.proto)
DESCRIPTOR := deploy/envoy/kataforge.pb
# Default learned models (services/scoring/learning), trained from the CMU karate capture.
SCORING_MODELS_DIR := models/scoring
SCORING_MODELS := $(foreach m,graphsage form_assessor style_encoder,$(SCORING_MODELS_DIR)/$(m).onnx)
CMU_KARATE := ../shared/data/mocap/cmu-135-karate
DEEPMIMIC := ../shared/data/mocap/deepmimic
CMU_EXERCISE := ../shared/data/mocap/cmu-13-exercise
# The depth lifter (services/scoring/learning/lifting.py), trained from all the shared motion capture.
LIFTER := $(SCORING_MODELS_DIR)/depth_lifter.onnx

.PHONY: run test install proto proto-check model scoring-models clean-state redis chromium wrk

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Generated code is committed (so `pip install .` works anywhere); `proto-check` fails on drift.
proto: install
	$(PY) -m grpc_tools.protoc -Iprotos -I$$($(PY) -c "import sysconfig;print(sysconfig.get_paths()['purelib'])") \
	  --python_out=. --pyi_out=. --grpc_python_out=. \
	  --descriptor_set_out=$(DESCRIPTOR) --include_imports --include_source_info $(PROTO_SRC)

proto-check: proto
	@git diff --exit-code --stat -- kataforge $(DESCRIPTOR) || \
	  (echo "generated protobuf code is out of date: run 'make proto' and commit" >&2; exit 1)

# BlazePose bundle built offline from the mediapipe 0.10.21 wheel (see DESIGN.md); never fetched at request time.
$(MODEL): install services/pose/model_bundle.py
	$(PY) -m services.pose.model_bundle --out $(MODEL)

model: $(MODEL)

# Trained offline (seeded, about 3 minutes on 2 cores), never at request time; retrained when the code that
# makes them (learning, the mocap readers, the biomechanics engine that gives the form targets) or the data
# change: the techniques (CMU 135, DeepMimic kick/punch) and the non-technique motion of the open-set
# background class (DeepMimic's other clips, CMU 13's exercise runs and their labels).
$(SCORING_MODELS) &: $(VENV)/.installed $(wildcard services/scoring/learning/*.py services/scoring/mocap/*.py \
		services/scoring/biomechanics/*.py $(CMU_KARATE)/*.asf $(CMU_KARATE)/*.amc $(DEEPMIMIC)/*.txt \
		$(CMU_EXERCISE)/*.asf $(CMU_EXERCISE)/*.amc $(CMU_EXERCISE)/labels/*.txt)
	$(PY) -m services.scoring.learning.build_default --data $(CMU_KARATE) --deepmimic $(DEEPMIMIC) \
	  --exercise $(CMU_EXERCISE) --out $(SCORING_MODELS_DIR)

$(LIFTER): $(VENV)/.installed services/scoring/learning/lifting.py services/scoring/learning/lifter_training.py \
		services/scoring/learning/video_like.py $(wildcard services/scoring/mocap/*.py $(CMU_KARATE)/*.amc \
		$(DEEPMIMIC)/*.txt $(CMU_EXERCISE)/*.amc)
	$(PY) -m services.scoring.learning.lifter_training --out $(LIFTER)

scoring-models: $(SCORING_MODELS) $(LIFTER)

# Debian's redis-server, for the tests of rate limits shared by several edges (DOJO_REDIS_URL); the tests start
# their own servers on free ports. Installed once, from the distribution's packages.
redis:
	@command -v redis-server >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends redis-server >/dev/null; }

# Debian's chromium, driven by Playwright for Python through its executable path in the web page's tests
# (tests/integration/web/); Playwright's own browser download is never used. Installed once.
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# The load client of bench/api_path.py (Debian's wrk) and the sampling profiler of its --profile (py-spy,
# pinned): benchmarks only, not installed for the tests.
wrk: install
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
	$(VENV)/bin/pip install -q py-spy==$(PY_SPY_VERSION)

run: install $(MODEL) $(SCORING_MODELS) $(LIFTER)
	$(VENV)/bin/kataforge serve

# --durations: CI's log says where the suite's time goes (it has to stay within CI's budget).
test: install redis chromium $(MODEL) $(SCORING_MODELS) $(LIFTER) proto-check
	$(PY) -m pytest -q --durations=15

clean-state:
	rm -rf .kataforge
