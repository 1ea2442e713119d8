# The two commands a new machine needs: `make serve` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: serve test test-fast venv lint typecheck unit postgres browser clean chromium compose-up compose-down axe validate

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# Start the server on the embedded default: SQLite under ./data, graders inside the server process.
serve: $(STAMP)
	$(BIN)/rnn-grader serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy server grader reference cli rnn_grader_client

# Debian's chromium for the browser tests (never `playwright install`), and a CJK font for its screenshots.
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || \
		(apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 || \
		 (apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei >/dev/null))

# axe-core (the accessibility checker the browser tests inject), vendored from its npm package: `npm pack`
# into a cache directory, then only axe.min.js is kept. Debian's npm is installed when missing.
AXE_VERSION ?= 4.14.1
AXE_CACHE := .cache/npm
AXE_JS := tests/web/vendor/axe.min.js
$(AXE_JS):
	@command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm >/dev/null)
	mkdir -p $(AXE_CACHE) $(dir $(AXE_JS))
	cd $(AXE_CACHE) && npm pack --silent --cache ./cache axe-core@$(AXE_VERSION) >/dev/null
	tar -xzf $(AXE_CACHE)/axe-core-$(AXE_VERSION).tgz -C $(AXE_CACHE) package/axe.min.js
	cp $(AXE_CACHE)/package/axe.min.js $@

axe: $(AXE_JS)

# The whole suite: lint, types, every test on SQLite, then the database tests again on PostgreSQL, then
# the compose stack on a real Docker engine (tests/deploy/: builds the image, starts dockerd if needed).
test: $(STAMP) chromium axe lint
	$(BIN)/python -c "import torch" || (echo "torch is required for the reference proofs" && exit 1)
	$(BIN)/pytest -p no:cacheprovider -m "not docker"
	RNN_GRADER_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest -p no:cacheprovider -m "postgres and not docker"
	$(BIN)/pytest -p no:cacheprovider -m docker tests/deploy

# `rnn-grader exercise validate` on every exercise in exercises/ (docs/authoring.md); `make test` runs the same
# checks as tests/exercise/test_validate_exercises.py.
validate: $(STAMP)
	@for d in exercises/*/; do $(BIN)/rnn-grader exercise validate $$d || exit 1; done

# The compose stack on this machine (deploy/compose_stack.py): a Docker engine (started if none answers),
# the images (stand-in bases from Debian packages when the official ones cannot be pulled), secrets in
# .env (kept if it exists), the API on 127.0.0.1:8000. compose-down also removes the data volume.
compose-up:
	$(PYTHON) deploy/compose_stack.py up

compose-down:
	$(PYTHON) deploy/compose_stack.py down

# The unit layer only (grader steps, exercise pack, API contracts, CLI): a couple of minutes, no sandbox
# processes, browser or PostgreSQL.
test-fast: $(STAMP)
	$(BIN)/pytest -p no:cacheprovider -q tests/grader tests/exercise tests/api tests/cli tests/client tests/test_generality.py \
		-m "not slow and not browser"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .cache $(AXE_JS)
