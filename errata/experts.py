"""The experts' annotations of Vasudevan et al. 2022: every ViT-3B and Greedy Soups mistake on the
multi-label subset with its top prediction, failure category and severity."""

from __future__ import annotations

import json
from functools import cache

import pandas as pd

from errata import sources
from errata.errors import ErrataError

# The zoo id of each expert-reviewed model -> (the source of its annotations, the stem of its files
# under reports/agreement, which keep their first names so DVC's declared paths stay put).
MODELS = {
    "vit_3b.experts": ("vit3b_mistakes", "vit3b"),
    "greedy_soups.experts": ("greedy_soups_mistakes", "greedy_soups"),
}

# The files spell categories several ways; map each spelling to the project's error type names.
CATEGORY_SPELLINGS = {
    "fine-grained error": "fine_grained",
    "fine-grained with multilabel options": "fine_grained",
    "fine-grained error with oov": "fine_grained_oov",
    "fine-grained with oov": "fine_grained_oov",
    "spurious correlation": "spurious_correlation",
    "non-prototypical": "non_prototypical",
}


def normalise_category(text: str) -> str:
    try:
        return CATEGORY_SPELLINGS[" ".join(text.lower().split())]
    except KeyError:
        raise ErrataError(f"unknown expert category spelling {text!r}") from None


@cache
def annotations(model: str) -> pd.DataFrame:
    """One row per mistake: file_name, top1, category (normalised), category_raw, severity."""
    if model not in MODELS:
        raise ErrataError(f"unknown expert-annotated model {model!r}; known: {', '.join(MODELS)}")
    raw = json.loads(sources.fetch(MODELS[model][0]).read_text())
    rows = [
        {
            "file_name": name,
            "top1": int(v["top_prediction"]),
            "category": normalise_category(v["failure category"]),
            "category_raw": v["failure category"],
            "severity": v["failure severity"],
        }
        for name, v in raw.items()
    ]
    return pd.DataFrame(rows)


def file_stem(model: str) -> str:
    """The stem of `model`'s agreement files (`<stem>_category.csv`, ...)."""
    return MODELS[model][1]


def non_prototypical_files() -> list[str]:
    """Files the experts labelled non-prototypical for either model (a lookup, not a detector)."""
    files = set()
    for model in MODELS:
        df = annotations(model)
        files.update(df.loc[df["category"] == "non_prototypical", "file_name"])
    return sorted(files)
