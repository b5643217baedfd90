"""Feed-guided calibration: learn a site's selectors from the pages of its feed items.

A blog's feed is ground truth for its newest posts (link, title, date, author, categories). On the
pages of those items, ``learn_rules`` looks for the elements that print each truth value, turns
them into stable selectors (tag plus a class, ``itemprop`` or ``rel`` the elements carry, or a
classed ancestor; never positions) and keeps, for each field, the selector that agrees with the
feed on most of those pages (at least 2, and 2/3 of the pages that have the value). The rules are
written as a ``--profile`` TOML file (``profile_toml``), with comments saying how well each agreed.

Learned rules only *fill*: a field the heuristics found is kept (``extract_article(learned=…)``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote

from lxml.etree import _Element as Element

from ..arabic.dates import normalize_date
from ..arabic.text import clean, tidy
from .feeds import FeedEntry, feed_date
from .profile import Profile

# Fields learned from the feed, in the order a profile lists them.
LEARNED_KEYS = ("title", "published", "author", "categories", "tags", "text")
MIN_PAGES = 2  # a rule seen on one page is a guess
SHARE = 2 / 3  # of the learning pages with a value for the field
# How a group of links says what it is (strongest first: rel, the links' paths, a label, class words).
CATEGORY_WORDS = ("categor", "section", "topic", "تصنيف", "قسم", "اقسام")
TAG_WORDS = ("tag", "label", "keyword", "وسم", "وسوم")
_SKIP = {"html", "head", "title", "meta", "script", "style", "link", "body"}
_MAX_VALUE_CHARS = 200  # a title, a date, a name: not a whole block


@dataclass
class Rule:
    key: str
    selector: str
    pages: int  # learning pages with a feed value for this field
    matched: int  # of them, pages where the selector found something
    agreed: int  # of them, pages where what it found is what the feed says

    def as_dict(self) -> dict:
        return {"key": self.key, "selector": self.selector, "pages": self.pages, "matched": self.matched,
                "agreed": self.agreed}


def norm(text: str | None) -> str:
    """Text compared with the feed's: invisible marks, harakat, tatweel and spacing do not count."""
    return clean(tidy(text or ""))


def _text(el: Element) -> str:
    return tidy(" ".join(el.itertext()))


# --- candidate selectors ----------------------------------------------------------------------------
def _stable(token: str) -> bool:
    """A class or attribute value worth naming: not generated (no digits), not empty, CSS-safe."""
    return bool(token) and not any(c.isdigit() for c in token) and all(c.isalnum() or c in "-_" for c in token)


def _own_selectors(el: Element) -> list[str]:
    tag = el.tag
    out = [f"{tag}.{cls}" for cls in (el.get("class") or "").split() if _stable(cls)]
    for attr in ("itemprop", "rel"):
        out += [f"{tag}[{attr}~='{v}']" for v in (el.get(attr) or "").split()[:1] if _stable(v)]
    return out


def candidate_selectors(el: Element) -> list[str]:
    """Selectors for ``el``: its own class/itemprop/rel, then under its nearest classed ancestor."""
    out = _own_selectors(el)
    for depth, ancestor in enumerate(el.iterancestors()):
        if depth >= 4 or ancestor.tag in ("body", "html"):
            break
        inside = [s for s in _own_selectors(ancestor) if "[" not in s]
        if inside:
            out += [f"{s} {el.tag}" for s in inside]
            break
    return out


# --- what a selector finds on a page, compared with the feed --------------------------------------
def _select(profile: Profile, root: Element, key: str) -> list[Element]:
    try:
        return profile.select_elements(root, key)
    except Exception:  # noqa: BLE001 - a selector lxml cannot evaluate on this page finds nothing
        return []


def _day(text: str | None, el: Element | None = None) -> date | None:
    for value in ([el.get("datetime"), el.get("content")] if el is not None else []) + [text]:
        parsed = normalize_date(value) if value else None
        if parsed and len(parsed.iso) >= 10:
            try:
                return date.fromisoformat(parsed.iso[:10])
            except ValueError:
                continue
    return None


def _same_day(found: date | None, truth: date | None) -> bool:
    return found is not None and truth is not None and abs((found - truth).days) <= 1  # a day: time zones


def _truth(entry: FeedEntry, key: str) -> object:
    if key == "title":
        return norm(entry.title) or None
    if key == "author":
        return norm(entry.author) or None
    if key == "published":
        when = feed_date(entry.published)
        return when.date() if when else None
    if key in ("categories", "tags"):
        return {norm(c) for c in entry.categories} or None
    return None


def _agrees(key: str, found: list[Element], truth: object) -> bool:
    if not found:
        return False
    if key in ("title", "author"):
        return norm(_text(found[0])) == truth
    if key == "published":
        return _same_day(_day(_text(found[0]), found[0]), truth)  # type: ignore[arg-type]
    values = {norm(_text(el)) for el in found} - {""}
    return bool(values) and values <= truth  # type: ignore[operator]


# --- where each truth value is printed --------------------------------------------------------------
def _value_elements(root: Element, key: str, truth: object) -> list[Element]:
    """The innermost elements that print ``truth`` (for categories and tags: links among its terms)."""
    found = []
    if key in ("categories", "tags"):
        for a in root.iter("a"):
            if norm(_text(a)) in truth and a.get("href"):  # type: ignore[operator]
                found.append(a)
        return found
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in _SKIP:
            continue
        text = _text(el)
        if not text or len(text) > _MAX_VALUE_CHARS:
            continue
        if any(isinstance(c.tag, str) and _text(c) == text for c in el):
            continue  # a child prints the same: take the innermost
        if key == "published":
            if any(ch.isdigit() for ch in text) and _same_day(_day(text, el), truth):  # type: ignore[arg-type]
                found.append(el)
        elif norm(text) == truth or (key == "author" and norm(_strip_label(text)) == truth):
            found.append(el)
    return found


def _strip_label(text: str) -> str:
    """"الكاتب: سلمى" → "سلمى": a labelled name still names the author."""
    head, sep, tail = text.partition(":")
    return tail if sep and len(head) <= 20 else text


def _text_element(root: Element) -> Element | None:
    """The element holding the most paragraph text directly: the post's body."""
    best, best_len = None, 0
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in _SKIP:
            continue
        paragraphs = [c for c in el if c.tag == "p"]
        length = sum(len(_text(p)) for p in paragraphs)
        if len(paragraphs) >= 2 and length > best_len:
            best, best_len = el, length
    return best


# --- categories or tags? ----------------------------------------------------------------------------
def _words_kind(text: str) -> str | None:
    text = unquote(text).lower()
    cat, tag = any(w in text for w in CATEGORY_WORDS), any(w in text for w in TAG_WORDS)
    return "categories" if cat and not tag else "tags" if tag and not cat else None


def links_kind(links: list[Element]) -> str | None:
    """Whether a group of links names categories or tags: by their rel, then the paths they point
    at, then the label before them, then the class names around them; None when nothing says."""
    rels = {w for a in links for w in (a.get("rel") or "").split()}
    if "tag" in rels and "category" not in rels:
        return "tags"
    if "category" in rels and "tag" not in rels:
        return "categories"
    kinds = {_words_kind(a.get("href") or "") for a in links}
    if len(kinds) == 1 and None not in kinds:
        return kinds.pop()
    parent = links[0].getparent()
    if parent is not None:
        label = norm(parent.text or "")
        if label:
            kind = _words_kind(label)
            if kind:
                return kind
    around = " ".join(" ".join(filter(None, (el.get("class"), el.get("id"))))
                      for el in [links[0], *list(links[0].iterancestors())[:3]])
    return _words_kind(around)


# --- learning ---------------------------------------------------------------------------------------
def learn_rules(pages: Iterable[tuple[Element, FeedEntry]], skip: Iterable[str] = ()) -> dict[str, Rule]:
    """{field: rule} learned from the pages of feed items (their parsed pages, their feed entries),
    for every field in LEARNED_KEYS except ``skip`` (the keys a user's profile sets)."""
    pages = list(pages)
    rules: dict[str, Rule] = {}
    for key in LEARNED_KEYS:
        if key in set(skip):
            continue
        rule = _learn(key, pages)
        if rule is not None:
            rules[key] = rule
    # a link group is categories or tags, not both: a selector learned for both is dropped
    if "categories" in rules and "tags" in rules and rules["categories"].selector == rules["tags"].selector:
        del rules["categories"], rules["tags"]
    return rules


def _learn(key: str, pages: list[tuple[Element, FeedEntry]]) -> Rule | None:
    if key == "text":
        return _learn_text(pages)
    with_truth = [(root, truth) for root, entry in pages if (truth := _truth(entry, key))]
    if len(with_truth) < MIN_PAGES:
        return None
    candidates: dict[str, int] = {}  # selector → pages where an element printing the truth has it
    for root, truth in with_truth:
        found = _value_elements(root, key, truth)
        if key in ("categories", "tags"):
            found = [a for a in found if links_kind([a]) in (key, None)]
        inner = {id(a) for el in found for a in el.iterancestors()}
        found = [el for el in found if id(el) not in inner]  # the innermost: a date, not its meta line
        for selector in {s for el in found for s in candidate_selectors(el)}:
            candidates[selector] = candidates.get(selector, 0) + 1
    needed = max(MIN_PAGES, math.ceil(SHARE * len(with_truth)))
    best: tuple[tuple, Rule] | None = None
    for selector, seen in candidates.items():
        if seen < needed:
            continue
        profile = Profile({key: selector})
        matched = agreed = found_count = found_chars = 0
        for root, truth in with_truth:
            found = _select(profile, root, key)
            if found:
                matched += 1
                found_count += len(found)
                found_chars += len(_text(found[0]))
                if _agrees(key, found, truth) and (key not in ("categories", "tags") or links_kind(found) == key):
                    agreed += 1
        if agreed < needed:
            continue
        # most agreement, then fewest elements matched and least text around the value (the most
        # specific), then the element's own class over an ancestor's, then the shortest selector
        score = (agreed, -found_count if key not in ("categories", "tags") else 0, -found_chars, " " not in selector,
                 -len(selector), selector)
        rule = Rule(key, selector, len(with_truth), matched, agreed)
        if best is None or score > best[0]:
            best = (score, rule)
    return best[1] if best else None


def _learn_text(pages: list[tuple[Element, FeedEntry]]) -> Rule | None:
    """The post body: the element with the most paragraph text, under one selector on most pages."""
    bodies = [(root, el) for root, _ in pages if (el := _text_element(root)) is not None]
    if len(bodies) < MIN_PAGES:
        return None
    needed = max(MIN_PAGES, math.ceil(SHARE * len(pages)))
    candidates: dict[str, int] = {}
    for _, el in bodies:
        for selector in set(_own_selectors(el)):
            candidates[selector] = candidates.get(selector, 0) + 1
    best: tuple[tuple, Rule] | None = None
    for selector, seen in candidates.items():
        if seen < needed:
            continue
        profile = Profile({"text": selector})
        matched = sum(1 for root, _ in pages if _select(profile, root, "text"))
        agreed = sum(1 for root, el in bodies if (found := _select(profile, root, "text")) and found[0] is el)
        if agreed >= needed:
            score = (agreed, -len(selector), selector)
            if best is None or score > best[0]:
                best = (score, Rule("text", selector, len(pages), matched, agreed))
    return best[1] if best else None


# --- the profile file -------------------------------------------------------------------------------
HEADER = ("# Learned by Arshif from the blog's feed: for each field, the selector that printed what the\n"
          "# feed says on most of the feed items' pages. Used to fill what the heuristics miss on every\n"
          "# page of this archive, and again on the next crawl into this folder. Edit a copy and pass it\n"
          "# with --profile to make it win over the heuristics.\n")


def profile_toml(rules: dict[str, Rule]) -> str:
    """The rules in the ``--profile`` TOML format, each with a comment on how it was learned."""
    lines = [HEADER]
    for key in LEARNED_KEYS:
        rule = rules.get(key)
        if rule is None:
            continue
        if key == "text":
            lines.append(f"# text: the element with the most paragraphs on {rule.agreed} of {rule.pages} feed pages")
        else:
            lines.append(f"# {key}: found on {rule.matched} of {rule.pages} feed pages, agreed with the feed on "
                         f"{rule.agreed}")
        escaped = rule.selector.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{key} = "{escaped}"\n')
    return "\n".join(lines)
