"""Measurements against the papers and the reference: calibration, agreement, published tables."""
