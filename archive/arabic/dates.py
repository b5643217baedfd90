"""Arabic date normalization.

``normalize_date(text, base=...)`` turns a date as Arabic sites print it into ISO 8601:

    >>> normalize_date("ديسمبر 25, 2025").iso
    '2025-12-25'

dateparser alone misses much of what Arabic blogs print (Levantine and Maghreb month names, names
without hamza, bidi marks, prefixes such as "نُشر في", dual Hijri/Gregorian strings), and it guesses
where it should not (a phone number becomes a date). So this module has its own layer, built for the
forms Arabic sites actually use, and falls back to dateparser only for what that layer does not
recognise, with every part of the date required. Absolute results are cached: blogs repeat the
same few formats, and the same strings, thousands of times.

Relative expressions ("منذ 3 أيام", "أمس") are resolved against ``base``, which the pipeline sets to
the capture's WARC-Date; without a base they return None rather than a guess from the wall clock.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Iterable

from .text import fold

__all__ = ["ParsedDate", "normalize_date", "parse_iso"]


@dataclass(frozen=True)
class ParsedDate:
    iso: str  # "2025-12-25", "2025-12", "2025-12-25T22:30:00" or "…T22:30:00+03:00"
    calendar: str  # "gregorian" or "hijri": the calendar the text was written in
    matched: str  # the rule that read it: iso, month-name, numeric, relative, dateparser
    raw: str  # the text as given


# --- month names ------------------------------------------------------------------------------
# Written in folded form (see arabic.fold): أ/إ/آ → ا, ة → ه, ى → ي, ئ → ي, ؤ → و.
_GREGORIAN_MONTHS = {
    # Egypt / Gulf / Sudan, with common spelling variants
    "يناير": 1, "فبراير": 2, "مارس": 3, "ابريل": 4, "ابرايل": 4, "مايو": 5, "يونيو": 6, "يونيه": 6,
    "يوليو": 7, "يوليه": 7, "اغسطس": 8, "اغسطوس": 8, "سبتمبر": 9, "اكتوبر": 10, "نوفمبر": 11,
    "ديسمبر": 12, "دیسمبر": 12,
    # Levant / Iraq
    "كانون الثاني": 1, "شباط": 2, "اذار": 3, "نيسان": 4, "ايار": 5, "حزيران": 6, "تموز": 7,
    "اب": 8, "ايلول": 9, "تشرين الاول": 10, "تشرين الثاني": 11, "كانون الاول": 12,
    # Algeria / Tunisia
    "جانفي": 1, "فيفري": 2, "افريل": 4, "ماي": 5, "جوان": 6, "جويليه": 7, "جويلية": 7, "اوت": 8,
    # Morocco
    "يوليوز": 7, "غشت": 8, "شتنبر": 9, "نونبر": 11, "دجنبر": 12,
    # Latin script, for mixed-language sites
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}
_HIJRI_MONTHS = {
    "محرم": 1, "صفر": 2, "ربيع الاول": 3, "ربيع الثاني": 4, "ربيع الاخر": 4,
    "جمادي الاولي": 5, "جمادي الاول": 5, "جمادي الثانيه": 6, "جمادي الاخره": 6, "جمادي الثاني": 6,
    "رجب": 7, "شعبان": 8, "رمضان": 9, "شوال": 10,
    "ذو القعده": 11, "ذي القعده": 11, "ذو الحجه": 12, "ذي الحجه": 12,
}
_WEEKDAYS = ["السبت", "الاحد", "الاثنين", "الثلاثاء", "الاربعاء", "الخميس", "الجمعه",
             "saturday", "sunday", "monday", "tuesday", "wednesday", "thursday", "friday"]
# Words that introduce a date on a page; removed before parsing (folded form).
_PREFIXES = ["تاريخ النشر", "تاريخ الاضافه", "تاريخ التحديث", "اخر تحديث", "تم التحديث في", "تم التحديث",
             "اخر تعديل", "تم التعديل", "حدث", "عدل",
             "تم النشر في", "تم النشر", "نشر بتاريخ", "نشر في", "نشرت في", "نشر", "منشور في",
             "بتاريخ", "تحديث", "محدث", "التاريخ", "تاريخ", "في", "يوم", "posted on", "published",
             "updated"]


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    # Longest first, so "كانون الاول" wins over "اب"; whole words only.
    body = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


_MONTH_RE = _alternation(list(_GREGORIAN_MONTHS) + list(_HIJRI_MONTHS))
_WEEKDAY_RE = _alternation(_WEEKDAYS)
_PREFIX_RE = re.compile(rf"^(?:(?:{'|'.join(sorted(map(re.escape, _PREFIXES), key=len, reverse=True))})(?!\w)\s*:?\s*)+")
# "كانون الأول/ ديسمبر", "كانون الأول (ديسمبر)": two names for one month collapse into one token.
_DUAL_MONTH_RE = re.compile(r"\b([gh]\d\d)\s*(?:/|\(|-|–)?\s*\1\s*\)?")

_ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[tT ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(z|[+-]\d{2}:?\d{2})?)?$")
_SEP = r"[\s,.\-/]*"
_NAMED_PATTERNS = [  # (regex, group order)
    (re.compile(rf"(?<!\d)(\d{{1,2}}){_SEP}([gh]\d\d){_SEP}(\d{{4}})(?!\d)"), "dmy"),
    (re.compile(rf"([gh]\d\d){_SEP}(\d{{1,2}}){_SEP}(\d{{4}})(?!\d)"), "mdy"),
    (re.compile(rf"(?<!\d)(\d{{4}}){_SEP}([gh]\d\d){_SEP}(\d{{1,2}})(?!\d)"), "ymd"),
    (re.compile(r"([gh]\d\d)[\s,]*(\d{4})(?!\d)"), "my"),
]
# Separators may have spaces around them ("25 / 12 / 2025"); a two-digit year is day/month/year, as
# Arabic sites print it ("25/12/25").
_NUMERIC_PATTERNS = [
    (re.compile(r"(?<![\d/.\-])(\d{4})\s?([/.\-])\s?(\d{1,2})\s?\2\s?(\d{1,2})(?![\d/.\-])"), "ymd"),
    (re.compile(r"(?<![\d/.\-])(\d{1,2})\s?([/.\-])\s?(\d{1,2})\s?\2\s?(\d{4})(?![\d/.\-])"), "dmy"),
    (re.compile(r"(?<![\d/.\-:])(\d{1,2})([/\-])(\d{1,2})\2(\d{2})(?![\d/.\-:])"), "dmy"),  # not "1.2.25"
]
_HIJRI_MARK_RE = re.compile(r"^\s*(?:ه|هجري|هجريه)(?!\w)")
_TIME_RE = re.compile(
    r"(?<!\d)(\d{1,2}):(\d{2})(?::(\d{2}))?\s*"
    r"(ص|صباحا|صباحاً|م|مساء|مساءا|مساء|am|pm|a\.m\.|p\.m\.)?(?!\w)"
    r"\s*(?:(?:gmt|utc|ت ?غ)?\s*(z|[+-]\d{1,2}(?::?\d{2})?))?"
)

# --- relative expressions -----------------------------------------------------------------------
_UNITS = {  # folded word → (unit, count implied by the word itself)
    "ثانيه": ("seconds", 1), "ثواني": ("seconds", None), "ثوان": ("seconds", None), "ثانيتين": ("seconds", 2),
    "دقيقه": ("minutes", 1), "دقايق": ("minutes", None), "دقيقتين": ("minutes", 2), "دقيقتان": ("minutes", 2),
    "ساعه": ("hours", 1), "ساعات": ("hours", None), "ساعتين": ("hours", 2), "ساعتان": ("hours", 2),
    "يوم": ("days", 1), "ايام": ("days", None), "يومين": ("days", 2), "يومان": ("days", 2),
    "اسبوع": ("weeks", 1), "اسابيع": ("weeks", None), "اسبوعين": ("weeks", 2), "اسبوعان": ("weeks", 2),
    "شهر": ("months", 1), "اشهر": ("months", None), "شهور": ("months", None), "شهرين": ("months", 2),
    "شهران": ("months", 2), "سنه": ("years", 1), "سنوات": ("years", None), "سنين": ("years", None),
    "سنتين": ("years", 2), "سنتان": ("years", 2), "عام": ("years", 1), "اعوام": ("years", None),
    "عامين": ("years", 2), "عامان": ("years", 2),
    # accusative after numbers from 11 on ("منذ 11 يوماً": harakat folded away, the alef stays)
    "يوما": ("days", None), "اسبوعا": ("weeks", None), "شهرا": ("months", None), "عاما": ("years", None),
}
_NUMBER_WORDS = {"واحد": 1, "واحده": 1, "اثنين": 2, "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4,
                 "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6, "سبع": 7, "سبعه": 7, "ثماني": 8, "ثمانيه": 8,
                 "تسع": 9, "تسعه": 9, "عشر": 10, "عشره": 10}
_RELATIVE_RE = re.compile(rf"^(?:منذ|قبل)\s+(?:(\d+|{'|'.join(_NUMBER_WORDS)})\s+)?({'|'.join(_UNITS)})"
                          r"(?:\s+(?:واحد|واحده))?$")  # "منذ دقيقة واحدة"
_CLOCK_WORD_RE = re.compile(r"(?<!\w)(?:الساعه|في تمام|عند)(?!\w)")
_DAY_WORDS = {"اليوم": 0, "امس": 1, "البارحه": 1, "اول امس": 2, "اول من امس": 2, "امس الاول": 2}


def normalize_date(text: str | None, *, base: datetime | str | None = None) -> ParsedDate | None:
    """Read a date as printed on an Arabic page; None when the text holds no date."""
    if not text or not text.strip() or len(text) > 300:
        return None
    found = _parse_absolute(text)
    if found is not None:
        return found
    return _parse_relative(text, _as_datetime(base)) if base is not None else None


@lru_cache(maxsize=4096)
def _parse_absolute(raw: str) -> ParsedDate | None:
    text = _prepare(raw)
    if not text:
        return None
    iso = _read_iso(text)
    if iso:
        return ParsedDate(iso, "gregorian", "iso", raw)
    tokens = _tokenize(text)
    # In a dual string ("… 1447 هـ الموافق 25 ديسمبر 2025 م") the Gregorian date is the one to keep.
    candidates = _read_named(tokens) + _read_numeric(tokens)
    if not candidates:
        return _read_with_dateparser(raw, text)
    candidates.sort(key=lambda c: (c[1] == "hijri", c[3]))
    day, cal, rule, _pos, time_part = candidates[0]
    return ParsedDate(day + time_part, cal, rule, raw)


def _prepare(raw: str) -> str:
    text = fold(raw).lower().replace("،", ",").replace("؛", ",")
    text = _PREFIX_RE.sub("", text)
    return text.strip(" :-–|")


def _tokenize(text: str) -> str:
    def month_token(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in _HIJRI_MONTHS:
            return f" h{_HIJRI_MONTHS[word]:02d} "
        return f" g{_GREGORIAN_MONTHS[word]:02d} "

    text = _WEEKDAY_RE.sub(" ", text)
    text = _MONTH_RE.sub(month_token, text)
    text = _DUAL_MONTH_RE.sub(r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _read_iso(text: str) -> str | None:
    m = _ISO_RE.match(text)
    if not m:
        return None
    try:
        value = datetime.fromisoformat(text.upper().replace(" ", "T"))
    except ValueError:
        return None
    if m.group(4) is None:
        return value.date().isoformat()
    return value.isoformat()


def _read_named(tokens: str) -> list[tuple[str, str, str, int, str]]:
    found: list[tuple[str, str, str, int, str]] = []
    for regex, order in _NAMED_PATTERNS:
        for m in regex.finditer(tokens):
            parts = dict(zip(order, m.groups(), strict=True))
            month_token = parts["m"]
            cal = "hijri" if month_token[0] == "h" else "gregorian"
            if cal == "gregorian" and _HIJRI_MARK_RE.match(tokens[m.end():]):
                continue  # a Gregorian month name with a Hijri year makes no sense
            day = int(parts["d"]) if "d" in parts else None
            if day is None and tokens[: m.start()].rstrip(" ,./-")[-1:].isdigit():
                continue  # "32 ديسمبر 2025": a bad day is no licence to keep only the month
            result = _make_date(int(parts["y"]), int(month_token[1:]), day, cal)
            if result:
                found.append((result, cal, "month-name", m.start(), _read_time(tokens, m) if day else ""))
        if found:
            return found
    return found


def _read_numeric(tokens: str) -> list[tuple[str, str, str, int, str]]:
    found: list[tuple[str, str, str, int, str]] = []
    for regex, order in _NUMERIC_PATTERNS:
        for m in regex.finditer(tokens):
            values = [g for i, g in enumerate(m.groups()) if i != 1]  # group 2 is the separator
            parts = dict(zip(order, values, strict=True))
            cal = "hijri" if _HIJRI_MARK_RE.match(tokens[m.end():]) else "gregorian"
            result = _make_date(_full_year(parts["y"], cal), int(parts["m"]), int(parts["d"]), cal)
            if result:
                found.append((result, cal, "numeric", m.start(), _read_time(tokens, m)))
    return found


def _full_year(digits: str, cal: str) -> int:
    """A two-digit year in its century: 25 → 2025 (1925 when 2025 is still to come), 47 هـ → 1447."""
    year = int(digits)
    if len(digits) > 2:
        return year
    if cal == "hijri":
        return 1400 + year
    return 2000 + year if 2000 + year <= datetime.now().year + 1 else 1900 + year


def _make_date(year: int, month: int, day: int | None, cal: str) -> str | None:
    if cal == "hijri":
        if day is None or not 1300 <= year <= 1500:
            return None  # a Hijri month alone has no single Gregorian month: do not guess
        try:
            from hijridate import Hijri

            return Hijri(year, month, day).to_gregorian().isoformat()
        except (ValueError, OverflowError):
            return None
    if not 1800 <= year <= 2200 or not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day).isoformat()


def _read_time(tokens: str, date_match: re.Match) -> str:
    """The time printed beside the date, as 'THH:MM:SS[+HH:MM]', or ''."""
    rest = tokens[: date_match.start()] + " | " + tokens[date_match.end():]
    m = _TIME_RE.search(rest)
    return _clock(m) if m else ""


def _clock(m: re.Match[str]) -> str:
    """'THH:MM:SS[+HH:MM]' from a _TIME_RE match (12-hour times with ص/م or am/pm), or ''."""
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    marker = (m.group(4) or "").replace(".", "")
    if marker in ("م", "مساء", "مساءا", "pm") and hour < 12:
        hour += 12
    elif marker in ("ص", "صباحا", "صباحاً", "am") and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or second > 59:
        return ""
    out = f"T{hour:02d}:{minute:02d}:{second:02d}"
    if m.group(5):
        out += _format_offset(m.group(5))
    return out


def _format_offset(text: str) -> str:
    if text == "z":
        return "+00:00"
    sign, digits = text[0], text[1:].replace(":", "")
    hours, minutes = (digits[:-2], digits[-2:]) if len(digits) > 2 else (digits, "00")
    return f"{sign}{int(hours):02d}:{minutes}"


def _read_with_dateparser(raw: str, text: str) -> ParsedDate | None:
    # Last resort for forms this module does not know. Only texts with a year and a word are tried,
    # every part of the date is required, so nothing is filled in from today.
    if not re.search(r"(?<!\d)\d{4}(?!\d)", text) or not re.search(r"[^\W\d_]", text):
        return None
    import dateparser

    value = dateparser.parse(text, languages=["ar", "en"],
                             settings={"REQUIRE_PARTS": ["day", "month", "year"], "DATE_ORDER": "DMY"})
    if value is None:
        return None
    return ParsedDate(value.date().isoformat(), "gregorian", "dateparser", raw)


def _parse_relative(raw: str, base: datetime) -> ParsedDate | None:
    text = _prepare(raw)
    clock = _TIME_RE.search(text)
    if clock:  # "أمس الساعة 10:30 م": the day from the word, the time as printed (with its offset when printed)
        words = _CLOCK_WORD_RE.sub(" ", text[: clock.start()] + " " + text[clock.end():])
        day_word = " ".join(words.replace(",", " ").split())
        time_part = _clock(clock)
        if day_word in _DAY_WORDS and time_part:
            day = base.date() - timedelta(days=_DAY_WORDS[day_word])
            return ParsedDate(day.isoformat() + time_part, "gregorian", "relative", raw)
        return None
    if text in _DAY_WORDS:
        return ParsedDate((base.date() - timedelta(days=_DAY_WORDS[text])).isoformat(), "gregorian", "relative", raw)
    m = _RELATIVE_RE.match(text)
    if not m:
        return None
    number, unit_word = m.groups()
    unit, implied = _UNITS[unit_word]
    if number is None:
        if implied is None:
            return None  # "منذ أيام": how many is not said
        count = implied
    else:
        count = int(number) if number.isdigit() else _NUMBER_WORDS[number]
    if unit in ("seconds", "minutes", "hours"):
        value = base - timedelta(**{unit: count})
        return ParsedDate(value.replace(microsecond=0).isoformat(), "gregorian", "relative", raw)
    if unit in ("days", "weeks"):
        day = base.date() - timedelta(**{unit: count})
    else:
        months = count * (12 if unit == "years" else 1)
        year, month = divmod(base.year * 12 + base.month - 1 - months, 12)
        month += 1
        day = date(year, month, min(base.day, calendar.monthrange(year, month)[1]))
    return ParsedDate(day.isoformat(), "gregorian", "relative", raw)


def parse_iso(text: str) -> datetime:
    """An ISO 8601 date or date-time (a WARC-Date with its "Z", a sitemap lastmod, a --since
    option) as an aware datetime; without an offset it is taken as UTC. Raises ValueError."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _as_datetime(base: datetime | str) -> datetime:
    return base if isinstance(base, datetime) else parse_iso(base)
