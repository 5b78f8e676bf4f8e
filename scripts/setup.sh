#!/usr/bin/env bash
# Installs what kubesim needs, skipping whatever is already present (safe to run every time).
#   scripts/setup.sh          tools to build and serve
#   scripts/setup.sh --test   plus what the tests need (Chromium, ChromeDriver)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target (under a minute)"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk 0.21.14" ]; then
  say "installing trunk 0.21.14 from crates.io (about 11 minutes on 2 cores, once)"
  cargo install trunk --version 0.21.14 --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen 0.2.130" ]; then
  say "installing wasm-bindgen-cli 0.2.130 (about 4 minutes, once)"
  cargo install wasm-bindgen-cli --version 0.2.130
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] || [ package.json -nt node_modules/.installed ]; then
  say "installing npm dev packages: binaryen (wasm-opt), playwright-core, axe-core (seconds)"
  npm ci --no-audit --no-fund
  touch node_modules/.installed
fi

if [ "${1:-}" = "--test" ]; then
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    say "installing Debian's chromium and chromium-driver (a few minutes, once)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
