"""DVC stage `summarize`: stats tables per group in the reference's columns, and the metrics file."""

import sys

from errata.errors import report_errors
from errata.pipeline import stage
from errata.results import summarize

args = stage.arguments("summarize", "classified", "stats", "metrics")
sys.exit(report_errors("summarize", lambda: summarize.write(args.classified, args.stats, args.metrics)))
