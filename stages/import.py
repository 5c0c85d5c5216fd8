"""DVC stage `import`: public zoo models' files -> data/predictions/<model>.npz."""

import sys
from pathlib import Path

from errata import params, zoo
from errata.errors import report_errors


def run() -> None:
    for path in zoo.import_models(params.load("import")["models"], Path("data/predictions")):
        print(path)


sys.exit(report_errors("import", run))
