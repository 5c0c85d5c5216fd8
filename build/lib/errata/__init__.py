"""errata: classify the remaining errors of ImageNet classifiers."""

__version__ = "0.1.0"
