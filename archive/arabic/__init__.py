"""Arabic text: normalization (``text``), dates (``dates``), and the folding and stemming of the
full-text index (``search``). Pure functions, no I/O: every other stage uses them."""

from .text import clean, fold, tidy, to_ascii_digits

__all__ = ["clean", "fold", "tidy", "to_ascii_digits"]
