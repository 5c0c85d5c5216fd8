"""Every `errata` command the README and docs/ show parses with the command line as it is: a block
that needs ImageNet, a GPU or a remote cannot run in CI, but a renamed subcommand or option in it
is caught here (the blocks CI can run, it runs: scripts/check_readme.py)."""

from __future__ import annotations

import re
import shlex

import pytest
from doc_pages import ROOT, check_readme

from errata.cli import build_parser

BASH = re.compile(r"```bash\n(.*?)```", re.DOTALL)
SHELL_VALUE = re.compile(r"\$\{[^}]*\}|\$\w+")
# an invocation: `errata` at a command's start, up to the end of the command
INVOCATION = re.compile(r"(?:^|[;&|(`]\s*|\$\(\s*)errata\s+([^;&|)`\n]*)", re.MULTILINE)


def invocations() -> list[tuple[str, str]]:
    found = []
    for page in check_readme.PAGES:
        for block in BASH.findall((ROOT / page).read_text()):
            joined = re.sub(r"\\\n\s*", " ", block)  # continuation lines
            found += [(page, args.split(" #")[0].strip()) for args in INVOCATION.findall(joined)]
    return found


def words(args: str) -> list[str]:
    """The arguments as the shell passes them, a shell expansion standing for a number."""
    return shlex.split(SHELL_VALUE.sub("2", args))


def test_the_docs_show_errata_commands():
    pages = {page for page, _ in invocations()}
    assert len(invocations()) >= 15 and {"docs/predict.md", "docs/clip-oov.md", "README.md"} <= pages


@pytest.mark.parametrize(("page", "args"), invocations(), ids=lambda v: v if "/" in v else None)
def test_every_errata_command_in_the_docs_parses(page, args, capsys):
    try:
        build_parser().parse_args(words(args))
    except SystemExit as exit:
        pytest.fail(f"{page}: `errata {args}` does not parse (exit {exit.code}): {capsys.readouterr().err}")
