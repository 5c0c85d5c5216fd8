"""The classify job: the error cascade over an evaluation set and a taxonomy, its metrics, and the per-
model results it writes."""
