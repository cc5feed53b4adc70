#!/usr/bin/env bash
# One-step set-up: install missing packages, configure and build, then either launch the app
# (`run`) or run the whole test suite (`test`).
set -euo pipefail
mode=${1:-run}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

bash installer/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default

case "$mode" in
  run)
    if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
      echo "bootstrap: no display found; starting LoRA Lab under xvfb-run" >&2
      exec xvfb-run -a ./build/app/loralab
    fi
    exec ./build/app/loralab
    ;;
  test)
    exec ctest --preset default
    ;;
  *)
    echo "usage: installer/bootstrap.sh run|test" >&2
    exit 2
    ;;
esac
