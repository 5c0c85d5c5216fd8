"""The taxonomy job: superclasses, overlapping classes and co-occurrence pairs, built from WordNet and
ReaL into the lookup tables the cascade reads."""
