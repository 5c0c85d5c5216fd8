#!/usr/bin/env bash
# Screenshot of the HTML report at 1366 px wide in headless Chromium (a development step, not CI:
# Chromium is not in CI). Install it with `apt-get install chromium` (Debian) first.
#   bash scripts/screenshot_report.sh [REPORT.html] [OUT.png] [HEIGHT]
# HEIGHT is the window height in px (default 900: the top of the page, as shown in the README);
# a large one (e.g. 30000) captures the whole page.
set -euo pipefail
report=${1:-reports/index.html}
out=${2:-docs/report.png}
height=${3:-900}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
    echo "screenshot_report.sh: no chromium found; install it (apt-get install chromium)" >&2
    exit 2
fi
mkdir -p "$(dirname "$out")"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size=1366,"$height" --screenshot="$(realpath -m "$out")" "file://$(realpath "$report")" 2>/dev/null
echo "$out"
