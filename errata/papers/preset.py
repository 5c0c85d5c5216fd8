"""The paper preset: the reference's 962 models (Peychev et al. 2023, `models_summary.csv`) named the
way `predict` names them today, with its label set and CLIP settings, as a params preset.

The naming rules are data (errata/data/paper_model_names.yaml); their result is versioned data
(errata/data/paper_models.csv, presets/paper.yaml), regenerated and checked by
`python -m errata.papers.preset [--check]` against the installed timm and torchvision.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from errata import sources
from errata.atomic import write_text
from errata.packaged import data_file
from errata.papers import published

RULES_FILE = data_file("paper_model_names.yaml")
MODELS_FILE = data_file("paper_models.csv")
PRESET_FILE = Path("presets/paper.yaml")
# The reference's label set and FG-OOV settings (docs/method.md): the multi-label file under labels/,
# OpenAI CLIP ViT-L/14 at 336 px, the label of one of the 10 nearest training images as the gate.
SETTINGS = {
    "labels": {"set": "multilabel:labels/human_accuracy_v3.0.0.json"},
    "oov": {"model": "ViT-L-14-336", "pretrained": "openai", "gate": "knn_train"},
}


@dataclass(frozen=True)
class Rule:
    match: re.Pattern[str]
    spec: str


@dataclass(frozen=True)
class Library:
    """The installed libraries, as the mapping needs them (errata.inference.catalog in practice)."""

    torchvision_weights: Callable[[str], dict[str, float | None]]
    describe: Callable[[str], dict[str, object]]  # refusal (None: accepted), size, preprocessing, gflops


def load_rules(path: Path = RULES_FILE) -> tuple[dict[str, list[Rule]], float]:
    raw = yaml.safe_load(Path(path).read_text())
    rules = {
        source: [Rule(re.compile(r["match"]), r["spec"]) for r in entries]
        for source, entries in raw["sources"].items()
    }
    return rules, float(raw["max_top1_gap"])


def candidate(rules: dict[str, list[Rule]], source: str, model_id: str) -> str | None:
    """The spec the first fitting rule of `source` makes of `model_id` (a torchvision tag may be a glob)."""
    for rule in rules.get(source, []):
        m = rule.match.fullmatch(model_id)
        if m:
            return rule.spec.format(**m.groupdict())
    return None


def _torchvision_weight(
    spec: str, top1: float | None, gap: float, library: Library
) -> tuple[str | None, str]:
    """The weight of a `torchvision/arch.GLOB` candidate whose documented top-1 is the published one."""
    arch, _, pattern = spec.removeprefix("torchvision/").partition(".")
    weights = {w: acc for w, acc in library.torchvision_weights(arch).items() if fnmatch.fnmatch(w, pattern)}
    documented = {w: acc for w, acc in weights.items() if acc is not None}
    if not documented:
        return None, f"torchvision has no weights {arch}.{pattern} with a documented top-1"
    if top1 is None:
        return None, "no published top-1 to choose the torchvision weights by"
    best = min(documented, key=lambda w: abs(documented[w] - top1))
    note = f"documented top-1 {documented[best]:.3f}, published {top1:.3f}"
    if abs(documented[best] - top1) > gap:
        return None, f"no weights of {arch} within {gap} of the published top-1 (closest {best}: {note})"
    return f"torchvision/{arch}.{best}", note


def map_model(
    model_id: str, source: str, top1: float | None, rules: dict[str, list[Rule]], gap: float, library: Library
) -> dict[str, object]:
    """The library name of one published model (spec, input size, preprocessing key, documented
    GFLOPS), or why there is none (note)."""
    none = {"spec": "", "size": None, "preprocessing": "", "gflops": None}
    spec = candidate(rules, source, model_id)
    if spec is None:
        return none | {"note": f"no naming rule for source {source!r}"}
    note = ""
    if spec.startswith("torchvision/"):
        spec, note = _torchvision_weight(spec, top1, gap, library)
        if spec is None:
            return none | {"note": note}
    described = library.describe(spec)
    if described["refusal"] is not None:
        return none | {"note": f"{spec}: {described['refusal']}"}
    return {"spec": spec} | {k: described[k] for k in ("size", "preprocessing", "gflops")} | {"note": note}


def map_models(summary: pd.DataFrame, top1: dict[str, float], library: Library) -> pd.DataFrame:
    """One row per published model: model_id, source, spec ('' when unmapped), input size,
    preprocessing key, documented GFLOPS (torchvision), note."""
    rules, gap = load_rules()
    rows = [
        {"model_id": model_id, "source": source}
        | map_model(model_id, source, top1.get(model_id), rules, gap, library)
        for model_id, source in zip(summary["model_id"], summary["source"], strict=True)
    ]
    out = pd.DataFrame(rows)
    out["size"] = out["size"].astype("Int64")
    return out


def published_models() -> tuple[pd.DataFrame, dict[str, float]]:
    """The reference's models_summary.csv, and each model's published ImageNet top-1 by model_id
    (the stats name a model `<source>--<model_id>`)."""
    summary = pd.read_csv(sources.fetch("eth_models_summary"))
    stats = published.stats("all")
    ids = stats["model_dir_id"].str.split("--", n=1).str[1]
    return summary, dict(zip(ids, stats["imagenet_top1_val_acc"], strict=True))


def preset_text(mapping: pd.DataFrame) -> str:
    specs = [s for s in mapping["spec"] if s]
    header = (
        f"# The paper preset (Peychev et al. 2023): {len(specs)} of its {len(mapping)} models by their\n"
        "# library names (errata/data/paper_models.csv lists every model, and why some have none), its\n"
        "# multi-label label set and its CLIP FG-OOV settings; generated by python -m errata.papers.preset.\n"
        "# Apply with `errata preset apply presets/paper.yaml` (docs/paper.md).\n"
    )
    body = SETTINGS | {"predict": {"models": specs}}
    return header + yaml.safe_dump(body, sort_keys=False, width=110)


def generate() -> tuple[pd.DataFrame, str]:
    from errata.inference import catalog

    summary, top1 = published_models()
    mapping = map_models(summary, top1, Library(catalog.torchvision_weights, catalog.describe))
    return mapping, preset_text(mapping)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m errata.papers.preset", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the versioned files are not current")
    parser.add_argument("--preset", type=Path, default=PRESET_FILE)
    args = parser.parse_args(argv)
    mapping, preset = generate()
    csv = mapping.to_csv(index=False)
    mapped = int((mapping["spec"] != "").sum())
    print(f"{mapped} of {len(mapping)} published models have a library name")
    if args.check:
        stale = [p for p, text in ((MODELS_FILE, csv), (args.preset, preset)) if p.read_text() != text]
        for path in stale:
            print(f"{path} is not current: run python -m errata.papers.preset", file=sys.stderr)
        return 1 if stale else 0
    write_text(MODELS_FILE, csv)
    write_text(args.preset, preset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
