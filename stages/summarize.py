"""DVC stage `summarize`: reports/stats/<group>.csv in the reference's columns, reports/metrics.json."""

import sys
from pathlib import Path

from errata import summarize
from errata.errors import report_errors

sys.exit(
    report_errors(
        "summarize",
        lambda: summarize.write(Path("data/classified"), Path("reports/stats"), Path("reports/metrics.json")),
    )
)
