# The interface: `make serve`, `make test`, `make dist`. Each installs what it lacks first.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER := /usr/bin/chromedriver
# wasm-bindgen-test-runner: headless Chromium, root-safe flags (see webdriver.json).
export WASM_BINDGEN_TEST_TIMEOUT := 120

.PHONY: serve test dist setup setup-test test-native test-browser test-e2e bench bench-ui

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

## serve: the app on http://127.0.0.1:8080 with live reload
serve: setup
	trunk serve --offline

## test: native, browser (wasm-bindgen-test) and end-to-end (Playwright) tests
test: setup-test test-native test-browser test-e2e

test-native:
	cargo test --lib --bins --tests

test-browser:
	cargo test --target wasm32-unknown-unknown --test web

test-e2e: dist
	mkdir -p test-output
	node --test --test-concurrency=1 tests/e2e/

## dist: a static release build in dist/ with a size report
dist: setup
	trunk build --release --offline
	node scripts/size-report.mjs dist

## bench: engine scale (1,000 nodes / 30,000 pods, 5,000 / 150,000; 1,000 / 30,000 polling; a rollout of 10,000 pods behind a Service)
bench:
	cargo bench --bench scale

## bench-ui: frame times of 50 nodes x 20 pods under churn, in headless Chromium
bench-ui: setup-test dist
	node tests/bench/frames.mjs
