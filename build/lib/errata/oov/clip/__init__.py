"""The torch half of the FG-OOV test: the CLIP model from open_clip's factory, the embedding passes,
and the one-image plain twin."""
