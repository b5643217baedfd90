"""Arabic-aware full-text search: the same normalization at index time and at query time.

SQLite's FTS5 tokenizers fold nothing Arabic (harakat split words, أ/إ/آ ≠ ا, ة ≠ ه, ى ≠ ي, tatweel
stays), and Python's sqlite3 cannot register a tokenizer. So the text itself is normalized before it
is indexed: every word is cleaned (harakat, tatweel, bidi marks, Eastern digits), its alef and yaa
variants folded, a و/ف conjunction in front of ال dropped, a final ه read as ة, then stemmed with Snowball's Arabic
stemmer (which strips ال، بال، لل، كال and common suffixes) and folded once more (ة → ه). A query
goes through the same function, so "تحالف" finds "التحالف" and "والتحالف", "الكتاب" finds "الكِتَابُ".
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

from .text import clean, fold

_WORD = re.compile(r"\w+")
_PRE_STEM = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي"})
_stemmer = snowballstemmer.stemmer("arabic")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    word = clean(word).translate(_PRE_STEM)
    if len(word) > 5 and word[0] in "وف" and word[1:3] == "ال":
        word = word[1:]
    if len(word) > 2 and word.endswith("ه"):  # ة is often typed as ه: give the stemmer the ة it knows
        word = word[:-1] + "ة"
    stemmed = fold(_stemmer.stemWord(word)).lower()
    # Snowball strips the feminine plural ات whole after ال but leaves its alef on a bare word
    # (المخطوطات → مخطوط, مخطوطات → مخطوطا): make both one stem.
    if word.endswith("ات") and stemmed.endswith("ا") and len(stemmed) > 3:
        stemmed = stemmed[:-1]
    return stemmed


def index_text(text: str | None) -> str:
    """The form of a text that goes into the FTS index: one stem per word."""
    return " ".join(stem(w) for w in _WORD.findall(clean(text or "")))


def query_terms(query: str | None) -> str:
    """A user's query in index form, as an FTS5 query: every stem required, each quoted."""
    stems = [stem(w) for w in _WORD.findall(clean(query or ""))]
    return " ".join(f'"{s}"' for s in stems if s)


def snippet(text: str | None, query: str | None, words: int = 12) -> str:
    """A few words of the original text around the first match, the match marked with ‹ ›."""
    if not text:
        return ""
    wanted = {stem(w) for w in _WORD.findall(clean(query or ""))}
    tokens = text.split()
    for i, token in enumerate(tokens):
        if any(stem(w) in wanted for w in _WORD.findall(clean(token))):
            start = max(0, i - words // 2)
            out = tokens[start:i] + [f"‹{token}›"] + tokens[i + 1:i + words // 2 + 1]
            return ("… " if start else "") + " ".join(out) + (" …" if i + words // 2 + 1 < len(tokens) else "")
    return " ".join(tokens[:words]) + (" …" if len(tokens) > words else "")
