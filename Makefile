# KataForge: `make run` starts everything on embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MODEL := models/pose_landmarker_full.task
PROTO_SRC := $(wildcard protos/kataforge/*/v1/*.proto)
DESCRIPTOR := deploy/envoy/kataforge.pb

.PHONY: run test install proto proto-check model clean-state

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

run: install $(MODEL)
	$(VENV)/bin/kataforge serve

test: install $(MODEL) proto-check
	$(PY) -m pytest -q

clean-state:
	rm -rf .kataforge
