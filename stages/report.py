"""DVC stage `report`: figures and the self-contained reports/index.html."""

import sys
from pathlib import Path

from errata import report
from errata.cli import run_stage

sys.exit(
    run_stage(
        "report",
        lambda: print(
            report.build(
                Path("reports/stats"), Path("data/classified"), Path("reports/agreement"), Path("reports")
            )
        ),
    )
)
