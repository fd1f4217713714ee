# The two commands of the README's Quick start. pip runs with -qq: recent
# pip shows every build-backend warning with a single -q (errors still
# show).
#   make demo  - install into .venv-demo and serve the demo API on
#                127.0.0.1:8774 (not ".venv": tox writes a file by that name)
#   make demo-libvirt - the same demo on real QEMU: the libvirt driver on an
#                embedded QEMU under ./.demo-libvirt (as root, with the
#                Debian packages of bindep.txt; libvirt-python is added to
#                .venv-demo)
#   make test  - install tox into .venv-tox and run the style check and the
#                whole test suite (what CI runs)

PYTHON ?= python3

.PHONY: demo demo-libvirt test

.venv-demo/bin/nova-attach-ifaces-api: setup.cfg requirements.txt
	$(PYTHON) -m venv .venv-demo
	.venv-demo/bin/pip install --quiet --quiet --upgrade pip
	.venv-demo/bin/pip install --quiet --quiet -e .
	touch $@

demo: .venv-demo/bin/nova-attach-ifaces-api
	.venv-demo/bin/nova-attach-ifaces-api --demo $(ARGS)

# libvirt-python compiles against libvirt-dev (bindep.txt) in ~10 s.
.venv-demo/.libvirt-python: .venv-demo/bin/nova-attach-ifaces-api
	.venv-demo/bin/pip install --quiet --quiet 'libvirt-python>=9.0.0'
	touch $@

demo-libvirt: .venv-demo/bin/nova-attach-ifaces-api .venv-demo/.libvirt-python
	.venv-demo/bin/nova-attach-ifaces-api --demo-libvirt $(ARGS)

.venv-tox/bin/tox:
	$(PYTHON) -m venv .venv-tox
	.venv-tox/bin/pip install --quiet --quiet --upgrade pip tox

# tools/test-setup.py installs bindep.txt's Debian packages (as root) and
# builds the cached virtualenvs of the real services the tests start.
test: .venv-tox/bin/tox
	$(PYTHON) tools/test-setup.py
	.venv-tox/bin/tox -e pep8,docs,py3

# make bench - the benchmark suite (bench/README.md); needs the package and
#              bench/requirements.txt installed in $(BENCH_PYTHON)'s
#              environment and wrk on PATH. ARGS=--quick for a short run.
# make bench-smoke - every section once, one tiny round each, into a
#              temporary directory: does the suite run to its end? (The
#              figures mean nothing; bench/results is left alone.)
BENCH_PYTHON ?= python3

.PHONY: bench bench-smoke

bench:
	$(BENCH_PYTHON) bench/run.py $(ARGS)

bench-smoke:
	results=$$(mktemp -d) && $(BENCH_PYTHON) bench/run.py --smoke \
	    --results $$results $(ARGS) && rm -rf $$results

# make genconfig, genpolicy, docs, api-ref, releasenotes, pep8, py3, cover:
#   the tox environment of that name, tox installed into .venv-tox first
#   (extra arguments with ARGS, e.g. make py3 ARGS=tests.unit).
TOX_ENVS = genconfig genpolicy docs api-ref releasenotes pep8 py3 cover

.PHONY: $(TOX_ENVS)

$(TOX_ENVS): .venv-tox/bin/tox
	.venv-tox/bin/tox -e $@ $(if $(ARGS),-- $(ARGS))

# make reliability - the fuzz, fault injection, security, soak and crash
#                    checks (tox -e reliability); figures written to
#                    tests/reliability/RESULTS.md. Needs PostgreSQL on
#                    127.0.0.1:5432 and MariaDB on 127.0.0.1:3306.
#                    ARGS e.g. "--examples 50000".
.PHONY: reliability

reliability: .venv-tox/bin/tox
	.venv-tox/bin/tox -e reliability -- $(ARGS)
