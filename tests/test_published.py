import pytest

from errata.errors import ErrataError
from errata.papers import published


@pytest.fixture(scope="module")
def table(public_data):
    return published.stats("all")


def test_select_without_filters_keeps_all_962(table):
    assert len(published.select(table)) == 962


def test_select_by_family_bucket_and_size(table):
    assert len(published.select(table, families=["mlp"])) == 24
    assert len(published.select(table, pretraining=["ImageNet-21k/22k"])) == 131
    assert len(published.select(table, pretraining=["ImageNet-1k", "larger/other"])) == 757 + 74
    both = published.select(table, pretraining=["ImageNet-21k/22k"], families=["transformer"])
    assert len(both) == 61
    assert set(both["arch_family"]) == {"transformer"}
    assert both["training_data"].str.startswith("ImageNet-21k").all()
    sized = published.select(table, min_params=50e6, max_params=100e6)
    assert len(sized) == 204
    assert sized["num_params"].between(50e6, 100e6).all()
    assert (
        len(published.select(table, min_params=50e6)) + len(published.select(table, max_params=50e6 - 1))
        == 962
    )


def test_select_refuses_unknown_names(table):
    with pytest.raises(ErrataError, match="unknown architecture family 'vit'; known: cnn, hybrid, mlp"):
        published.select(table, families=["vit"])
    with pytest.raises(ErrataError, match="unknown pre-training bucket 'JFT'"):
        published.select(table, pretraining=["JFT"])
