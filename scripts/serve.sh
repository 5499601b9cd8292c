#!/usr/bin/env bash
# usage: scripts/serve.sh [lorekeeper serve options, e.g. --port 9000 --api-key KEY]
#   Installs what is missing (apt packages, Python test tools, the default model), builds the
#   release binary and starts `lorekeeper serve` on the default model in the foreground.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/install-deps.sh
swift build -c release --product lorekeeper
exec .build/release/lorekeeper serve "$@"
