"""Readers of classified results: summaries and stats tables, per-class views, confusions, model diffs.
They depend on the results format (`errata.outputs`) alone."""
