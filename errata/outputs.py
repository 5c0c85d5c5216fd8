"""Names of the files `errata classify` writes per model and per run (a contract: docs/design.md), in a module
of their own so that readers of the results do not import the classifier."""

ERRORS_FILE = "errors.parquet"
SUMMARY_FILE = "summary.json"
RUN_FILE = "run.json"
