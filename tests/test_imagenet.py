import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errata import imagenet, wordnet
from errata.errors import ErrataError


def test_all_1000_classes_resolve_in_wordnet():
    syns = imagenet.synsets()
    assert len(syns) == 1000 and len({s.name() for s in syns}) == 1000
    assert all(wordnet.wnid_of(s) == w for s, w in zip(syns, imagenet.wnids(), strict=True))
    assert wordnet.synset("n02114712").name() == "red_wolf.n.01"


def test_class_names_and_lookup():
    assert imagenet.class_names()[0] == "tench"
    assert imagenet.class_index("n02114712") == 271
    assert imagenet.class_index("red wolf") == 271
    assert imagenet.class_index("271") == 271
    with pytest.raises(ErrataError, match="unknown class"):
        imagenet.class_index("unicorn")
    with pytest.raises(ErrataError, match="outside 0..999"):
        imagenet.class_index(1000)


@pytest.mark.parametrize(
    "name, index", [("tank suit", 639), ("Tinca tinca", 0), ("Cardigan Welsh corgi", 264), ("TEAPOT", 849)]
)
def test_every_lemma_of_a_class_finds_it(name, index):
    assert imagenet.class_index(name) == index


@pytest.mark.parametrize(
    "name, classes", [("crane", ("134 = n02012849", "517 = n03126707")), ("maillot", ("638 =", "639 ="))]
)
def test_a_name_of_two_classes_is_an_error_listing_both(name, classes):
    with pytest.raises(ErrataError, match=f"'{name}' names 2 classes") as err:
        imagenet.class_index(name)
    assert all(c in str(err.value) for c in classes) and "Give the index or the wnid" in str(err.value)


def test_a_misspelt_name_gets_suggestions():
    with pytest.raises(ErrataError, match="did you mean 849 'teapot'"):
        imagenet.class_index("teapott")


def test_groups_match_the_published_split():
    groups = imagenet.class_groups()
    assert Counter(groups) == {"organism": 410, "artifact": 522, "other": 68}
    assert groups[imagenet.class_index("tabby")] == "organism"
    assert groups[imagenet.class_index("teapot")] == "artifact"
    assert groups[imagenet.class_index("volcano")] == "other"


def test_bad_wnid_is_rejected():
    with pytest.raises(ErrataError, match="not a WordNet noun id"):
        wordnet.synset("x123")


def test_validation_index(public_data):
    index = imagenet.validation_index()
    assert len(index) == 50_000
    assert index.index[0] == "ILSVRC2012_val_00000001.JPEG"
    assert index.loc["ILSVRC2012_val_00000293.JPEG", "target"] == 0


def test_missing_wordnet_gives_one_clear_error():
    code = (
        "import nltk; nltk.data.path[:] = ['/nonexistent']\n"
        "from errata import wordnet\n"
        "try:\n    wordnet.wordnet()\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.startswith("ErrataError") and "provision" in out and "wordnet-base" in out


PLAIN_POSITIONS = {imagenet.val_file_name(i): i for i in range(imagenet.NUM_VAL_IMAGES)}
names = st.one_of(
    st.integers(-5, 50_010).map(lambda i: f"ILSVRC2012_val_{i:08d}.JPEG"),
    st.integers(0, 10**9).map(lambda i: f"ILSVRC2012_val_{i}.JPEG"),
    st.text(st.characters(exclude_characters="\x00"), max_size=30),  # numpy drops trailing NULs
    st.sampled_from(
        [
            "ILSVRC2012_val_0000000a.JPEG",
            "ILSVRC2012_val_00000001.JPG",
            "ilsvrc2012_val_00000001.JPEG",
            "xILSVRC2012_val_00000001.JPEG",
            "ILSVRC2012_val_00050000.JPEG",
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(names, max_size=20))
def test_val_positions_agrees_with_a_plain_lookup(batch):
    expected = [PLAIN_POSITIONS.get(n, -1) for n in batch]
    assert imagenet.val_positions(np.array(batch, dtype=str)).tolist() == expected
