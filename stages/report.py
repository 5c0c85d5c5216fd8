"""DVC stage `report`: figures and the self-contained reports/index.html."""

import sys
from pathlib import Path

from errata import report
from errata.errors import report_errors

sys.exit(
    report_errors(
        "report",
        lambda: print(
            report.build(
                Path("reports/stats"),
                Path("data/classified"),
                Path("reports/agreement"),
                Path("reports"),
                params_path=Path("params.yaml"),
                oov_report=Path("data/oov/oov.json"),
            )
        ),
    )
)
