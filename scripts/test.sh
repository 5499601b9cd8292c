#!/usr/bin/env bash
# usage: scripts/test.sh [extra swift test arguments, e.g. --filter TinyModel]
#   Installs what is missing, then builds and runs the whole test suite in release mode
#   (numeric tests are far too slow in debug). The last line is Swift Testing's summary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/install-deps.sh
swift build -c release -Xswiftc -enable-testing --build-tests
exec swift test -c release -Xswiftc -enable-testing --disable-xctest "$@"
