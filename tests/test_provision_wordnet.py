from pathlib import Path

import nltk
import pytest
from nltk.corpus.reader.wordnet import WordNetCorpusReader

from errata import provision_wordnet as pw


def test_lexnames_has_the_45_wordnet_files():
    lines = pw.lexnames_text().splitlines()
    assert len(lines) == 45
    assert lines[0] == "00\tadj.all\t3"
    assert lines[6] == "06\tnoun.artifact\t1"
    assert lines[44] == "44\tadj.ppl\t3"


@pytest.mark.skipif(not (pw.DEBIAN_DIR / "data.noun").exists(), reason="Debian wordnet not here")
def test_corpus_built_from_debian_is_readable(tmp_path: Path, monkeypatch):
    pw.build_from_debian(tmp_path)
    corpus = tmp_path / "corpora" / "wordnet"
    assert not (corpus / "data.noun").is_symlink()
    assert pw.is_provisioned(tmp_path)
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    reader = WordNetCorpusReader(nltk.data.find("corpora/wordnet"), None)
    assert reader.get_version() == "3.0"
    assert reader.synset_from_pos_and_offset("n", 2114712).name() == "red_wolf.n.01"
    assert pw.provision(tmp_path) == "already provisioned"
