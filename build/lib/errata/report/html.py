"""A single self-contained HTML report: inline CSS, images as data: URIs, no external URL anywhere.

The report must open offline and leak nothing when opened, so every piece goes through the helpers
here, which escape text; `build_html` accepts only `Html` pieces so unescaped strings cannot slip in.
"""

from __future__ import annotations

import base64
import html
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from errata.atomic import write_text


class Html(str):
    """A string already safe to place in the page (made by the helpers below)."""


@dataclass
class Section:
    heading: str
    blocks: list[Html] = field(default_factory=list)


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #222; background: #fff; line-height: 1.5; margin: 0; }
main { max-width: 1280px; margin: 0 auto; padding: 1.5rem 1.5rem 4rem; }
h1 { font-size: 1.8rem; margin-bottom: 0.5rem; }
h2 { font-size: 1.35rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
nav ol { padding-left: 1.4rem; }
a { color: #0b5cad; }
div.scroll { max-width: 100%; overflow-x: auto; }
table.data { border-collapse: collapse; margin: 1rem 0; font-size: 0.85rem; }
table.data caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
table.data th, table.data td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; vertical-align: top; }
table.data thead th { background: #f0f0f0; text-align: left; }
table.data tbody th { text-align: left; font-weight: 600; }
table.data tbody tr:nth-child(even) { background: #f8f8f8; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure.fig { margin: 1rem 0; }
figure.fig img { max-width: 100%; height: auto; border: 1px solid #eee; }
div.thumbs { display: flex; flex-wrap: wrap; gap: 0.6rem; margin: 0.5rem 0 1rem; }
figure.thumb { margin: 0; width: 176px; font-size: 0.75rem; line-height: 1.3; }
figure.thumb img { display: block; height: 112px; max-width: 176px; object-fit: contain;
                   border: 1px solid #ddd; }
figure.thumb .file { font-size: 0.68rem; color: #555; white-space: nowrap; }
ul.notes li { margin: 0.2rem 0; }
"""

_TEXT_URL = re.compile(r"https?://[^\s\"'<>)]+", re.IGNORECASE)
_ATTR = re.compile(
    r"""\b(?:src|href|srcset|action|poster|background)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"""(?:url\(|@import)\s*["']?\s*((?:https?:)?//[^)"'\s;]+)""", re.IGNORECASE)
_EXTERNAL_IN_VALUE = re.compile(r"(?:^|[\s,])((?:https?:)?//[^\s,]+)", re.IGNORECASE)


def escape(text: object) -> Html:
    """HTML-escape, and break "://" so a URL in text can never appear as one in the page source."""
    return Html(html.escape(str(text)).replace("://", ":&#47;&#47;"))


def paragraph(text: str) -> Html:
    return Html(f"<p>{escape(text)}</p>")


def note_list(items: list[str]) -> Html:
    return Html('<ul class="notes">' + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")


def image_html(png_path: Path, alt: str, scale: float = 0.5) -> Html:
    """Embed the PNG itself, so the report is one file that needs nothing beside it; shown at `scale`
    of its pixel width (figures are saved at twice screen resolution, so text keeps its size)."""
    raw = Path(png_path).read_bytes()
    width = round(int.from_bytes(raw[16:20], "big") * scale)  # the PNG header's width field
    data = base64.b64encode(raw).decode("ascii")
    return Html(
        f'<figure class="fig"><img src="data:image/png;base64,{data}" width="{width}" '
        f'alt="{escape(alt)}"></figure>'
    )


def thumbnails_html(items: list[tuple[bytes, str, str]]) -> Html:
    """A row of embedded JPEG thumbnails, each (jpeg bytes, caption, file name); the caption is
    also the image's alt text."""
    figs = "".join(
        f'<figure class="thumb"><img src="data:image/jpeg;base64,{base64.b64encode(jpeg).decode("ascii")}" '
        f'alt="{escape(caption)}"><figcaption>{escape(caption)}<br><span class="file">{escape(name)}</span>'
        "</figcaption></figure>"
        for jpeg, caption, name in items
    )
    return Html(f'<div class="thumbs">{figs}</div>')


def _cell(value: object, float_format: str) -> str:
    if pd.isna(value):
        return "<td></td>"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Number):
        return f"<td>{escape(value)}</td>"
    text = str(value) if isinstance(value, numbers.Integral) else float_format.format(value)
    return f'<td class="num">{escape(text)}</td>'


def table_html(df: pd.DataFrame, caption: str | None = None, float_format: str = "{:.2f}") -> Html:
    """A plain escaped table; the index is shown only when it carries meaning (not a RangeIndex)."""
    show_index = not isinstance(df.index, pd.RangeIndex)
    names = ([df.index.name or ""] if show_index else []) + list(df.columns)
    head = [escape(n).replace("_", "_<wbr>") for n in names]  # long snake_case headers may wrap
    rows = []
    for key, values in zip(df.index, df.itertuples(index=False), strict=True):
        label = [f"<th>{escape(key)}</th>"] if show_index else []
        cells = [_cell(v, float_format) for v in values]
        rows.append("<tr>" + "".join(label + cells) + "</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return Html(
        f'<div class="scroll"><table class="data">{cap}<thead><tr>'
        + "".join(f"<th>{h}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>"
    )


def build_html(title: str, sections: list[Section]) -> str:
    """The whole page, with a contents list linking to each section by in-page anchor."""
    for section in sections:
        for block in section.blocks:
            if not isinstance(block, Html):
                raise TypeError(f"section {section.heading!r}: block is {type(block).__name__}, not Html")
    toc = "".join(f'<li><a href="#s{i}">{escape(s.heading)}</a></li>' for i, s in enumerate(sections, 1))
    body = "".join(
        f'<section id="s{i}"><h2>{escape(s.heading)}</h2>{"".join(s.blocks)}</section>'
        for i, s in enumerate(sections, 1)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body><main><h1>{escape(title)}</h1><nav><ol>{toc}</ol></nav>{body}</main></body></html>\n"
    )


def find_external_urls(page: str) -> list[str]:
    """Every URL the page could fetch or show: http(s) anywhere in the source, and http(s) or
    protocol-relative (//host) in src/href/... attributes and CSS url()/@import, read after entity
    decoding as a browser would. data: URIs are local and skipped."""
    found = _TEXT_URL.findall(page)
    for match in _ATTR.finditer(page):
        value = html.unescape(next(g for g in match.groups() if g is not None)).strip()
        if not value.lower().startswith("data:"):
            found += _EXTERNAL_IN_VALUE.findall(value)
    found += _CSS_URL.findall(html.unescape(page))
    return list(dict.fromkeys(found))


def write(path: Path, page: str) -> Path:
    return write_text(path, page)
