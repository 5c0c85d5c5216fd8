"""The package data that lets a light install classify with no WordNet and no timm: the shipped
default taxonomy equals a fresh build, the class list is the 1,000 sorted wnids, the ReaL labels come
from the pinned source, and the commands that need torch name their extra."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from errata import boolmatrix, extras, imagenet, sources
from errata.taxonomy import build, shipped, superclasses, tables

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_taxonomy_equals_a_fresh_build_from_the_bundled_definitions(public_data, tmp_path):
    report = build.build_superclasses(None, tmp_path)
    fix = "rebuild them: python -c 'from errata.taxonomy import build; build.ship()'"
    for name in (tables.SUPERCLASSES_CSV, tables.OVERLAPPING_CSV, tables.NON_PROTOTYPICAL):
        assert (shipped.directory() / name).read_text() == (tmp_path / name).read_text(), f"{name}: {fix}"
    same = boolmatrix.load(shipped.directory() / tables.SAME_SUPERCLASS)
    assert (same == boolmatrix.load(tmp_path / tables.SAME_SUPERCLASS)).all(), fix
    assert json.loads((shipped.directory() / tables.COVERAGE).read_text()) == report
    assert report["n_non_singleton"] == 140  # the README's count of bundled groups
    assert len(pd.read_csv(shipped.directory() / tables.OVERLAPPING_CSV)) == report["n_overlapping_pairs"]


def test_the_shipped_tables_serve_only_the_definitions_they_were_built_from(tmp_path):
    assert shipped.serves(None) and shipped.serves(superclasses.default_path())
    edited = tmp_path / "superclasses.yaml"
    edited.write_text(superclasses.default_path().read_text() + "\n  extra_group: [tabby, tiger cat]\n")
    assert not shipped.serves(edited)


def test_the_class_list_is_package_data():
    assert len(imagenet.wnids()) == 1000 and list(imagenet.wnids()) == sorted(imagenet.wnids())
    assert imagenet.wnids()[0] == "n01440764" and imagenet.class_names()[0] == "tench"
    assert imagenet.class_lemmas()[1] == ("goldfish", "Carassius auratus")
    assert imagenet.class_index("Norfolk terrier") == 185


def test_real_labels_come_from_the_pinned_source(public_data):
    labels = imagenet.real_labels()
    assert len(labels) == 50_000 and labels[:3] == [[], [970, 795], [230, 231]]
    assert sum(not ls for ls in labels) == 3_163  # the README's empty label sets
    assert sources.get_source("real_labels").repo == "google-research/reassessed-imagenet"


def test_classify_without_a_taxonomy_copies_the_shipped_superclasses(public_data, tmp_path):
    evalset = pd.DataFrame({"file_name": [imagenet.val_file_name(i) for i in range(300)]})
    tax = build.build(tmp_path, evalset, "real")
    for name in shipped.FILES:
        assert (tmp_path / name).read_bytes() == (shipped.directory() / name).read_bytes()
    assert json.loads((tmp_path / tables.COOC_REPORT).read_text())["n_images_counted"] > 0
    assert tax.class_groups[0] == "organism"


def test_a_command_without_its_extra_names_the_extra(tmp_path):
    """Run with torch and the model libraries hidden, as in an install without `models`."""
    code = (
        "import importlib.util, sys\n"
        "real = importlib.util.find_spec\n"
        f"importlib.util.find_spec = lambda n, *a: None if n.split('.')[0] in {extras.EXTRAS['models']!r}"
        " else real(n, *a)\n"
        "from errata.cli import main\n"
        f"sys.exit(main(['predict', '--images', {str(tmp_path)!r}, '--models', 'resnet50.a1_in1k',"
        f" '--out', {str(tmp_path / 'out')!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "errata predict: error: errata predict needs the 'models' extra (torch, torchvision, timm, "
        "open_clip not installed): pip install 'errata[models]' (README: Install)"
    )


def test_the_extras_the_boundary_names_are_the_ones_pyproject_declares():
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(extras.EXTRAS) <= set(declared)
    assert declared["all"] == [f"errata[{','.join(sorted(extras.EXTRAS))}]"]
    models = [d.split("==")[0] for d in declared["models"]]
    assert models == ["torch", "torchvision", "timm", "open_clip_torch"]
