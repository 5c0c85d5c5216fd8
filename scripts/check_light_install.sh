#!/usr/bin/env bash
# The install without extras, as a researcher with a predictions file gets it: build the wheel,
# install it alone in a fresh venv, check that no heavy package came with it and that the venv is
# at most 700 MB, then classify the ImageNet-X ResNet50 CSV with ReaL labels from an unrelated
# directory whose environment holds only ERRATA_MIRROR (no WordNet, no timm, no data/) and check
# the pinned MLA. Needs ERRATA_MIRROR (or internet for the pinned downloads) and pip's index.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ERRATA_MIRROR:?set ERRATA_MIRROR to the public-data mirror}"
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# from a copy of the files git knows: an in-tree build would reuse a stale build/ directory
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/src"
"$python" -m pip wheel -q --no-deps -w "$work/dist" "$work/src" >/dev/null
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check "$work"/dist/errata-*.whl 2>&1 |
  grep -v 'is ignored: it is neither a file nor a directory' || true
"$work/venv/bin/python" -c 'import errata' # the install succeeded
size_mb=$(du -sm "$work/venv" | cut -f1)
echo "[light] errata without extras: venv of ${size_mb} MB"
if [ "$size_mb" -gt 700 ]; then
  echo "[light] the install without extras is ${size_mb} MB, over 700 MB" >&2
  exit 1
fi
heavy=$("$work/venv/bin/python" -c '
import importlib.util
print(" ".join(m for m in ("torch", "torchvision", "timm", "open_clip", "triton", "dvc") if importlib.util.find_spec(m)))')
if [ -n "$heavy" ]; then
  echo "[light] the install without extras holds: $heavy" >&2
  exit 1
fi

csv=$(cd "$work" && env -i PATH=/usr/bin:/bin "$work/venv/bin/python" -c '
try:
    import nltk
    nltk.data.find("corpora/wordnet")
except LookupError:
    pass
else:
    raise SystemExit("WordNet is installed where the light install can find it")
print(__import__("errata.sources").sources.get_source("imagenetx_resnet50").relpath)')
mkdir "$work/elsewhere"
cp "$ERRATA_MIRROR/$csv" "$work/elsewhere/ResNet50.csv"
(cd "$work/elsewhere" && env -i PATH=/usr/bin:/bin HOME="$work/elsewhere" ERRATA_MIRROR="$ERRATA_MIRROR" \
  "$work/venv/bin/errata" classify --predictions ResNet50.csv --labels real --out out --workers 1) |
  tee "$work/classify.log"
mla=$("$work/venv/bin/python" -c "import json; print(f\"{json.load(open('$work/elsewhere/out/ResNet50/summary.json'))['mla']:.2f}\")")
if [ "$mla" != "87.35" ]; then
  echo "[light] ImageNet-X ResNet50 MLA is $mla, expected 87.35" >&2
  exit 1
fi
echo "[light] ImageNet-X ResNet50 with ReaL labels: MLA $mla (pinned 87.35), no torch, no WordNet"
