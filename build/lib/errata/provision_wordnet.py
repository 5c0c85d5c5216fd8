"""Provision WordNet 3.0 for NLTK: nltk.download where it can connect, else Debian's packages.

Run as `python -m errata.provision_wordnet [TARGET]`; TARGET defaults to <sys.prefix>/nltk_data,
a directory NLTK searches by default for the interpreter that runs it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

DEBIAN_PACKAGES = ("wordnet-base", "wordnet-sense-index")
DEBIAN_DIR = Path("/usr/share/wordnet")

# The 45 lexicographer files of WordNet 3.0 (lexnames(5WN)); Debian does not ship this file.
LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
    "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group "
    "noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession "
    "noun.process noun.quantity noun.relation noun.shape noun.state noun.substance noun.time "
    "verb.body verb.change verb.cognition verb.communication verb.competition verb.consumption "
    "verb.contact verb.creation verb.emotion verb.motion verb.perception verb.possession "
    "verb.social verb.stative verb.weather adj.ppl"
).split()
LEX_CATEGORY = {"adj": 3, "adv": 4, "noun": 1, "verb": 2}


def lexnames_text() -> str:
    return "".join(
        f"{i:02d}\t{name}\t{LEX_CATEGORY[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES)
    )


def is_provisioned(target: Path) -> bool:
    return (target / "corpora" / "wordnet" / "lexnames").exists() or (
        target / "corpora" / "wordnet.zip"
    ).exists()


def try_nltk_download(target: Path, timeout_s: int = 60) -> bool:
    """nltk.download in a child process, so a hanging connection cannot stall setup."""
    code = f"import nltk, sys; sys.exit(0 if nltk.download('wordnet', download_dir={str(target)!r}, quiet=True, raise_on_error=True) else 1)"  # noqa: E501
    try:
        result = subprocess.run([sys.executable, "-c", code], timeout=timeout_s, capture_output=True)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0 and is_provisioned(target)


def install_debian_packages() -> None:
    if (DEBIAN_DIR / "data.noun").exists():
        return
    apt = ["apt-get", "install", "-y", "--no-install-recommends", *DEBIAN_PACKAGES]
    if subprocess.run(apt, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], check=True, capture_output=True)
        subprocess.run(apt, check=True, capture_output=True)


def build_from_debian(target: Path) -> None:
    """Copy (not link) Debian's WordNet files into an NLTK corpus dir and add `lexnames`."""
    install_debian_packages()
    corpus = target / "corpora" / "wordnet"
    tmp = corpus.with_name("wordnet.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(DEBIAN_DIR, tmp)
    (tmp / "lexnames").write_text(lexnames_text())
    shutil.rmtree(corpus, ignore_errors=True)
    tmp.rename(corpus)


def provision(target: Path) -> str:
    if is_provisioned(target):
        return "already provisioned"
    target.mkdir(parents=True, exist_ok=True)
    if try_nltk_download(target):
        return "downloaded with nltk"
    build_from_debian(target)
    return "built from Debian's wordnet-base and wordnet-sense-index"


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(sys.prefix) / "nltk_data"
    how = provision(target)
    print(f"WordNet 3.0 at {target}: {how}")


if __name__ == "__main__":
    main()
