"""Comparisons with the papers: expert agreement, calibration against the reference's verdicts, the
published table, the paper preset and its cost."""
