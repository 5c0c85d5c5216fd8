"""WordNet 3.0 through NLTK: ImageNet class ids are WordNet noun offsets (n02114712 -> 2114712)."""

from __future__ import annotations

from functools import cache
from typing import Any

from errata.errors import ErrataError

PROVISION_HINT = (
    "WordNet 3.0 for NLTK is not installed. Run `bash scripts/setup.sh` (it provisions it), or "
    "`python -m errata.provision_wordnet`, which tries nltk.download('wordnet') and otherwise "
    "builds the corpus from Debian's packages wordnet-base and wordnet-sense-index."
)


@cache
def wordnet() -> Any:
    """The NLTK WordNet reader, or one clear error saying how to provision it."""
    from nltk.corpus import wordnet as wn

    try:
        wn.ensure_loaded()
    except LookupError:
        raise ErrataError(PROVISION_HINT) from None
    if wn.get_version() != "3.0":
        raise ErrataError(f"WordNet {wn.get_version()} found; ImageNet ids need 3.0. {PROVISION_HINT}")
    return wn


def synset(wnid: str) -> Any:
    """The noun synset of an ImageNet wnid such as 'n02114712'."""
    if len(wnid) != 9 or wnid[0] != "n" or not wnid[1:].isdigit():
        raise ErrataError(f"not a WordNet noun id: {wnid!r} (expected 'n' + 8 digits)")
    return wordnet().synset_from_pos_and_offset("n", int(wnid[1:]))


def wnid_of(syn: Any) -> str:
    return f"n{syn.offset():08d}"


def ancestors(syn: Any) -> list[Any]:
    """Every synset on any hypernym path of `syn`, itself included, root first, no repeats."""
    seen: dict[str, Any] = {}
    for path in syn.hypernym_paths():
        for node in path:
            seen.setdefault(node.name(), node)
    return list(seen.values())


def ancestor_lemmas(syn: Any) -> frozenset[str]:
    """Lower-cased lemma names of every synset on the hypernym paths of `syn`."""
    return frozenset(lemma.lower() for node in ancestors(syn) for lemma in node.lemma_names())
