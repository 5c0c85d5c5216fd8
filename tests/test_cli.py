import subprocess
import sys

import pytest

from errata.cli import build_parser, main


def test_help_lists_every_subcommand():
    out = subprocess.run(
        [sys.executable, "-m", "errata", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in build_parser()._subparsers._group_actions[0].choices:
        assert command in out


def test_sources_list(capsys):
    assert main(["sources", "list"]) == 0
    out = capsys.readouterr().out
    assert "real_labels" in out and "Apache-2.0" in out


def test_unknown_command_exits_with_usage():
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
