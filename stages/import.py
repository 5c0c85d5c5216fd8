"""DVC stage `import`: public zoo models' files -> <out>/<model>.npz."""

import sys

from errata import zoo
from errata.errors import report_errors
from errata.pipeline import params, stage

args = stage.arguments("import", "out")


def run() -> None:
    models = params.load("import")["models"]
    for path in zoo.import_models(models, args.out, where=params.line_of("import", "models")):
        print(path)


sys.exit(report_errors("import", run))
