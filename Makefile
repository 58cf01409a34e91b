# opencontrail.issu — developer entry points. `make test` and `make demo` work on a fresh
# Debian 12 / Python 3.11 machine: they install what they need (Debian packages, pinned venv).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT        := $(abspath .)
VENV        := $(ROOT)/.venv
PY          := $(VENV)/bin/python
BUILD       := $(ROOT)/.build
COLL_ROOT   := $(BUILD)/collections
COLL_LINK   := $(COLL_ROOT)/ansible_collections/opencontrail/issu
SANITY_TREE := $(BUILD)/sanity/ansible_collections/opencontrail/issu
VERSION     := $(shell sed -n 's/^version: *//p' galaxy.yml)
DEB_PACKAGES := podman runc debootstrap haproxy gobgpd dpkg-dev uidmap slirp4netns rsync librsvg2-bin
export CONTAINERS_CONF := $(ROOT)/lab/containers.conf
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export ISSU_COLLECTIONS_PATH := $(COLL_ROOT)
export PATH := $(VENV)/bin:$(PATH)

.PHONY: help deps venv collection lint yamllint ansible-lint sanity unit integration lab-test \
        checks test build doc-check demo clean

help:  ## list targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

deps:  ## install the Debian packages the tests and the lab need (no-op when present)
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	    | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.stamp: requirements/dev.txt requirements/vnc-api.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/dev.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -r requirements/vnc-api.txt
	touch $@

venv: $(VENV)/.stamp  ## create .venv from the pins (no-op when current)

collection: venv  ## expose this checkout as ansible_collections/opencontrail/issu
	@mkdir -p $(dir $(COLL_LINK))
	@ln -sfn $(ROOT) $(COLL_LINK)

yamllint: venv
	yamllint -s .

ansible-lint: collection
	ansible-lint --offline
	@# args (not in the production profile): the awx.awx tasks' arguments against each module's spec
	ansible-lint --offline --strict --enable-list args playbooks/awx_configure.yml

lint: yamllint ansible-lint  ## yamllint + ansible-lint (production profile)

sanity: collection deps  ## ansible-test sanity on a copy of the collection (offline bootstrap)
	@mkdir -p $(HOME)/.ansible/test/cache
	@cp tools/get_pip_offline.py $(HOME)/.ansible/test/cache/get_pip_24_2.py
	@mkdir -p $(SANITY_TREE)
	rsync -a --delete --delete-excluded --filter='P /tests/output/' --exclude-from=tools/sanity-exclude.txt $(ROOT)/ $(SANITY_TREE)/
	cd $(SANITY_TREE) && rm -rf .git && git init -q . && git add -A && \
	    ansible-test sanity --python 3.11 --venv --color no

unit: collection  ## tests/unit (+ lab/tests without the lab): parsing and planning logic
	pytest -q tests/unit lab/tests -m "not lab and not integration"

integration: collection deps  ## tests/integration: modules against real local services (HAProxy), no lab
	pytest -q tests/integration -m "integration"

lab-test: collection deps  ## lab/tests + tests/lab: the lab's own checks, every module against the lab
	pytest -q lab/tests tests/lab -m "lab"

# `make test` is two pytest sessions side by side, so that CI takes as long as the lab's tests:
# * the lab's (marker `lab`), in the foreground, in this order: lab/tests's checks of a running
#   lab, tests/lab (every module and the phase guards against the rehearsal lab), tests/e2e (the
#   ISSU scenarios end to end with molecule, each on a fresh lab), the lab's infrastructure;
# * `make checks` beside it at a lower CPU priority (nice: the lab's nodes come first): yamllint,
#   ansible-lint, ansible-test sanity, then every test without the lab: tests/unit, lab/tests's
#   simulator tests, tests/integration (modules against real local services: HAProxy,
#   ansible-playbook). Its output follows the lab's (and stays in .build/checks.log).
# Either failing fails `make test`.
test: collection deps  ## everything CI runs: lint, sanity and every test (the lab's beside the rest)
	@mkdir -p $(BUILD)
	@nice -n 10 $(MAKE) -s checks >$(BUILD)/checks.log 2>&1 & checks=$$!; \
	lab=0; pytest -q -ra --durations=25 -m lab || lab=$$?; \
	others=0; wait $$checks || others=$$?; \
	echo "== make checks (lint, sanity, the tests without the lab), beside the lab's tests =="; \
	cat $(BUILD)/checks.log; \
	echo "make test: the lab's tests rc=$$lab; lint, sanity and the tests without the lab rc=$$others"; \
	[ $$lab -eq 0 ] && [ $$others -eq 0 ]

checks: lint sanity collection deps  ## lint, sanity and every test that needs no lab
	pytest -q -ra -m "not lab"

demo: collection deps  ## bring up the rehearsal lab and run the whole ISSU on it, with a summary
	python lab/tools/demo.py

build: venv  ## build the collection tarball into .build/dist
	@mkdir -p $(BUILD)/dist
	ansible-galaxy collection build --force --output-path $(BUILD)/dist

doc-check: build  ## install the built tarball in a temp path and list its plugins with ansible-doc
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	ansible-galaxy collection install --offline --force -p $$tmp $(BUILD)/dist/opencontrail-issu-$(VERSION).tar.gz >/dev/null; \
	cd $$tmp && ANSIBLE_COLLECTIONS_PATH=$$tmp ansible-doc -l opencontrail.issu

clean:  ## remove generated files (keeps .venv)
	rm -rf $(BUILD) .pytest_cache

-include lab/lab.mk
