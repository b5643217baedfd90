"""Arabic text normalization: the character-level clean-ups every other module shares.

Two levels:
- ``clean``: removes what is invisible or decorative (bidi marks, tatweel, harakat, odd spaces)
  and maps Eastern Arabic / Persian digits to ASCII. Meaning is unchanged.
- ``fold``: ``clean`` plus letter folding (أ/إ/آ/ٱ → ا, ى → ي, ة → ه, ؤ → و, ئ → ي), for matching
  and search, where spelling variants must compare equal.
"""

import re

# Eastern Arabic-Indic (U+0660..) and Extended/Persian (U+06F0..) digits to ASCII.
_DIGITS = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
_DIGITS.update({ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")})

# Bidi controls copied along with Arabic text: LRM, RLM, ALM, embeddings/overrides, isolates.
BIDI_MARKS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
TATWEEL = "\u0640"
# Harakat (fathatan .. sukun), superscript alef, Quranic marks.
HARAKAT_RE = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_INVISIBLE_RE = re.compile(f"[{BIDI_MARKS}{TATWEEL}\u200b\u200c\u200d\ufeff]")
_SPACES_RE = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
# clean() and fold() in one pass of each kind: both deletions in one regex, digits and letters in one table.
_DROPPED_RE = re.compile(f"{_INVISIBLE_RE.pattern[:-1]}{HARAKAT_RE.pattern[1:]}")
_DIGITS_AND_FOLD = {**_DIGITS, **_FOLD}


def tidy(text: str) -> str:
    """Display-safe text as written: only bidi/zero-width marks dropped and spaces collapsed."""
    text = re.sub(f"[{BIDI_MARKS}\u200b\ufeff]", "", text)
    return _SPACES_RE.sub(" ", text).strip()


def to_ascii_digits(text: str) -> str:
    return text.translate(_DIGITS)


def clean(text: str) -> str:
    """Strip bidi marks, tatweel, zero-width chars and harakat; ASCII digits; single spaces."""
    return _SPACES_RE.sub(" ", _DROPPED_RE.sub("", text)).translate(_DIGITS).strip()


def fold(text: str) -> str:
    """``clean`` plus folding of the letter variants Arabic writers use interchangeably."""
    return _SPACES_RE.sub(" ", _DROPPED_RE.sub("", text)).translate(_DIGITS_AND_FOLD).strip()
