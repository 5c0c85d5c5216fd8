"""Pipeline plumbing for the DVC stages and the command line: params, presets, shards, stage code deps,
model files, paths. Only `stages/` and `errata.cli` import it."""
