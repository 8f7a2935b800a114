# zxforensics: `make demo` and `make test` work on a fresh machine with Python 3.11+ and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= out/demo
# Test processes (pytest-xdist): the machine's cores, at least 2 and at most 4. Each test module and each
# notebook runs whole, in order, in one of them (--dist loadscope).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n < 2 ? 2 : (n > 4 ? 4 : n) )))

.PHONY: install demo dashboard test lint bench sample clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("zxforensics needs Python >= 3.11" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (zxforensics)" >/dev/null
	touch $(STAMP)

demo: install
	$(BIN)/zxforensics --force report backup_path sample_data/backup \
		notification sample_data/notifications/restore_report.txt out $(OUT) title "Recovery report: sample backup"
	@echo
	@echo "Report: $(abspath $(OUT))/report.html"

# The notebooks as a web app over the sample: prints its URL; Ctrl-C stops it.
dashboard: install
	$(BIN)/zxforensics dashboard backup_path sample_data/backup notification sample_data/notifications/restore_report.eml

test: install
	TQDM_DISABLE=1 MPLBACKEND=Agg $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --nbval-lax --durations=20 tests notebooks
	$(BIN)/ruff check zxforensics tests bench

lint: install
	$(BIN)/ruff check zxforensics tests bench

# Benchmarks (not tests): figures next to a shell baseline measured in the same run.
bench: install
	$(BIN)/python bench/bench_scan.py
	$(BIN)/python bench/bench_audit.py
	$(BIN)/python bench/bench_index.py   # 1M metadata-only states, generated once under /tmp/zx-bench-stores

# Regenerate the committed sample data with the project's own generator.
# Built beside the old tree and swapped in, so a test running meanwhile never sees half a sample.
sample: install
	rm -rf sample_data.new sample_data.old
	$(BIN)/python -c 'import zxforensics.sample as s; s.make_sample_data("sample_data.new")'
	if [ -d sample_data ]; then mv sample_data sample_data.old; fi
	mv sample_data.new sample_data
	rm -rf sample_data.old

clean:
	rm -rf $(VENV) out .pytest_cache
