"""DVC stage `import`: public zoo models' files -> data/predictions/<model>.npz."""

import sys

from errata import params
from errata.cli import main

sys.exit(main(["import", *params.load("import")["models"], "--out", "data/predictions"]))
