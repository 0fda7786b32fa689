"""Text analysis: which script a character belongs to, which way a text runs, and where
a paragraph may break.

Breaks are allowed at whitespace and around CJK characters (written without spaces),
with a light form of Japanese *kinsoku*: no line starts with closing punctuation or
ends with an opening one. Thai, also written without spaces between words, breaks between
dictionary words when PyThaiNLP is installed (the ``thai`` extra), else only at spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

_SCRIPT_RANGES: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    ("arabic", ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF),
                (0xFE70, 0xFEFF))),
    ("hebrew", ((0x0590, 0x05FF), (0xFB1D, 0xFB4F))),
    ("devanagari", ((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF))),
    ("thai", ((0x0E00, 0x0E7F),)),
    ("korean", ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF))),
    ("cjk", ((0x2E80, 0x2FDF), (0x2FF0, 0x31FF), (0x3200, 0x4DBF),
             (0x4E00, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF),
             (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))),
)  # fmt: skip

# Characters that may be broken around individually (Han, kana, CJK punctuation).
_CJK_BREAKABLE = ((0x2E80, 0x2FDF), (0x2FF0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
                  (0xF900, 0xFAFF), (0xFF00, 0xFF60), (0x20000, 0x3FFFF))  # fmt: skip
# Kinsoku: no line may start with these, none may end with the openers.
_NO_LINE_START = set(
    "、。，．,.!?！？：；:;）)]｝〕〉》」』】〙〗〟’”ゝゞーァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎゕゖㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々〻…‥"  # noqa: RUF001
)
_NO_LINE_END = set("（([｛〔〈《「『【〘〖〝‘“")  # noqa: RUF001


def _script_of(char: str) -> str | None:
    code = ord(char)
    for script, ranges in _SCRIPT_RANGES:
        for low, high in ranges:
            if low <= code <= high:
                return script
    if unicodedata.bidirectional(char) == "L":
        return "latin"
    return None


def dominant_script(text: str) -> str:
    counts: dict[str, int] = {}
    for char in text:
        script = _script_of(char)
        if script and (script != "latin" or char.isalpha()):
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return "latin"
    # max() keeps the first-seen script on ties (dicts keep insertion order).
    return max(counts, key=lambda s: counts[s])


def detect_direction(text: str) -> str:
    """``"rtl"`` or ``"ltr"`` from the first strong character (Unicode bidi P2/P3)."""
    for char in text:
        bidi = unicodedata.bidirectional(char)
        if bidi in ("R", "AL"):
            return "rtl"
        if bidi == "L":
            return "ltr"
    return "ltr"


def run_direction(text: str) -> str | None:
    has_rtl = has_ltr = has_number = False
    for char in text:
        bidi = unicodedata.bidirectional(char)
        if bidi in ("R", "AL"):
            has_rtl = True
        elif bidi == "L":
            has_ltr = True
        elif bidi in ("EN", "AN"):
            has_number = True
    if has_rtl and not has_ltr:
        return "rtl"
    if has_ltr and not has_rtl:
        return "ltr"
    if has_rtl and has_ltr:
        return "mixed"
    return "ltr" if has_number else None


def _is_cjk_breakable(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_BREAKABLE)


_THAI_RUN = re.compile("([\u0e00-\u0e7f]+)")


@lru_cache(maxsize=1)
def thai_segmenter() -> Callable[[str], list[str]] | None:
    """PyThaiNLP's dictionary word segmenter (``newmm``), or None without the extra."""
    try:
        from pythainlp.tokenize import word_tokenize
    except ImportError:
        return None
    return lambda text: word_tokenize(text, engine="newmm", keep_whitespace=False)


def _thai_words(token: str) -> list[str]:
    """``token`` cut between the Thai words it holds; anything else in it (digits,
    punctuation, Latin) stays glued to its neighbour, so a break falls only between two
    Thai words."""
    segment = thai_segmenter() if _THAI_RUN.search(token) else None
    if segment is None:
        return [token]
    pieces = [""]
    for run in _THAI_RUN.split(token):
        if not _THAI_RUN.fullmatch(run):
            pieces[-1] += run
            continue
        words = [word for word in segment(run) if word]
        if "".join(words) != run:  # the segmenter changed the text: keep the run whole
            words = [run]
        pieces[-1] += words[0]
        pieces.extend(words[1:])
    return [piece for piece in pieces if piece]


def split_tokens(paragraph: str) -> list[str]:
    """Split a paragraph into unbreakable tokens; each whitespace run is a token.

    Breaks are allowed at whitespace and around CJK characters (which are
    written without spaces), except before closing and after opening
    punctuation (a light form of Japanese *kinsoku*), and between Thai words.
    """
    tokens: list[str] = []
    for char in paragraph:
        previous = tokens[-1] if tokens else None
        if char.isspace():
            if previous is not None and previous.isspace():
                tokens[-1] += char
            else:
                tokens.append(char)
        elif previous is None or previous.isspace():
            tokens.append(char)
        elif char in _NO_LINE_START or previous[-1] in _NO_LINE_END:
            tokens[-1] += char
        elif _is_cjk_breakable(char) or _is_cjk_breakable(previous[-1]):
            tokens.append(char)
        else:
            tokens[-1] += char
    return [piece for token in tokens for piece in _thai_words(token)]
