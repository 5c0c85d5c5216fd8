import re
import subprocess
import sys

import pytest

from errata.cli import main

COMMANDS = [
    "prepare", "labels", "preset", "taxonomy", "classify", "oov", "predict", "diff", "import", "shards",
    "sources",
]  # fmt: skip


def test_help_lists_every_subcommand():
    out = subprocess.run(
        [sys.executable, "-m", "errata", "--help"], capture_output=True, text=True, check=True
    ).stdout
    listed = re.findall(r"^    (\w+)\s{2,}\S", out, flags=re.M)
    assert listed == COMMANDS
    for command in COMMANDS:  # and each one answers its own --help
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0


VERBS = {"taxonomy": ["build", "explain", "calibrate"], "oov": ["proposals", "calibrate", "embed", "decide"]}


@pytest.mark.parametrize("command", list(VERBS))
def test_every_verb_has_a_one_line_description(command):
    out = subprocess.run(
        [sys.executable, "-m", "errata", command, "--help"], capture_output=True, text=True, check=True
    ).stdout
    listed = dict(re.findall(r"^    (\w+)\s*\n?\s+(\S.*)$", out, flags=re.M))
    assert list(listed) == VERBS[command]
    assert all(len(line) > 10 for line in listed.values()), listed


def test_sources_list(capsys):
    assert main(["sources", "list"]) == 0
    out = capsys.readouterr().out
    assert "real_labels" in out and "Apache-2.0" in out


def test_unknown_command_exits_with_usage():
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
