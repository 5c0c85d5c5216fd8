"""Check the links of the README and docs/: every relative link names a file or folder of the
repository, every anchor a heading of its page, and every repository path named in backticks exists.

python scripts/check_links.py [--root DIR]     (standard library only; exit status 1 on a problem)

Links leaving the repository (`../shared/...`) are problems too: the docs cite nothing outside it.
Web links are not fetched. Anchors follow GitHub's rule: the heading lower-cased, punctuation
dropped, spaces turned into hyphens, `-1`, `-2` ... appended to repeats.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
# a path in backticks is checked when it starts in a folder of the repository's own files (not the
# pipeline's outputs, nor labels/ and predictions/, where the docs name files the user brings)
SOURCE_FOLDERS = set("errata stages scripts tests benchmarks docs presets notebooks .ci .dvc".split())
PATH_TOKEN = re.compile(r"^[\w.-]+(/[\w.-]+)+/?$")


def pages(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of the lines outside fenced code blocks."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def slug(heading: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: dict[str, int] = {}
    result = set()
    for _, line in prose_lines(page.read_text()):
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(1))
            repeat = found.get(base, 0)
            found[base] = repeat + 1
            result.add(base if repeat == 0 else f"{base}-{repeat}")
    return result


def check_link(root: Path, page: Path, target: str) -> str | None:
    """What is wrong with `target`, linked from `page`; None when nothing is."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...: not fetched
        return None
    path, _, anchor = target.partition("#")
    linked = (page.parent / path).resolve() if path else page
    if not linked.is_relative_to(root.resolve()):
        return f"{target}: outside the repository"
    if not linked.exists():
        return f"{target}: no such file"
    if anchor:
        if linked.suffix != ".md":
            return f"{target}: an anchor into a file that is not a markdown page"
        if anchor not in anchors(linked):
            return f"{target}: no heading '{anchor}' in {linked.relative_to(root.resolve())}"
    return None


def named_paths(line: str) -> list[str]:
    """Repository paths named in the backticked spans of `line`."""
    tokens = (token for span in CODE_SPAN.findall(line) for token in span.split())
    return [t for t in tokens if PATH_TOKEN.match(t) and t.split("/")[0] in SOURCE_FOLDERS]


def problems(root: Path) -> list[str]:
    found = []
    for page in pages(root):
        if not page.exists():
            found.append(f"{page.relative_to(root)}: missing")
            continue
        for number, line in prose_lines(page.read_text()):
            where = f"{page.relative_to(root)}:{number}"
            for target in LINK.findall(CODE_SPAN.sub("", line)):
                problem = check_link(root, page, target)
                if problem:
                    found.append(f"{where}: {problem}")
            missing = [path for path in named_paths(line) if not (root / path).exists()]
            found += [f"{where}: `{path}`: no such file" for path in missing]
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    root = parser.parse_args(argv).root
    found = problems(root)
    for problem in found:
        print(problem, file=sys.stderr)
    print(f"[links] {len(pages(root))} page(s), {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
