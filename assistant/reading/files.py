"""Files named in a message: a path typed, pasted or dropped into the chat (or given to `say`).

Terminals paste a dropped file's path as it is, quoted ('...' or "...") or with its spaces
escaped (``my\\ song.wav``); people also type ``~/refs/song.wav``, relative names and
``file://`` URLs. :func:`file_mentions` finds each of these, whether or not the file exists
(a missing file gets one clear line from the turn, not a brief about the words in its path),
and :func:`words_around` gives the message without them, for reading what was asked of the
file ("this is on my vocal", "make it sound like ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from mixchat.assistant.reading.patterns import lazy_pattern

MEDIA_SUFFIXES = frozenset(
    ".wav .wave .flac .aif .aiff .aifc .mp3 .ogg .oga .opus .m4a .caf .w64 .rf64 "
    ".png .jpg .jpeg .webp .gif .bmp .tif .tiff".split()
)
TRAILING = ".,;:!?)]}"
LONGEST_UNQUOTED_WORDS = 8  # an unescaped path with spaces is joined over at most this many words

_URL = lazy_pattern(r"file://[^\s'\"`]+")
# a quoted path: the quote opens where no letter stands before it and closes where none
# follows, so the apostrophes of "here's" or "don't" are not quotes (and a path may hold one);
# a lookahead, so a pair that turns out not to hold a path does not use up the quotes after it
_QUOTED = lazy_pattern(
    r"""(?<!\w)(?=(?P<all>(?P<q>['"`])(?P<body>(?:(?!(?P=q)(?!\w))[^\n])+?)(?P=q))(?!\w))"""
)
# an unquoted path: starts at a word boundary with /, ~/, ./ or ../ (or is a name with a media
# suffix), and runs over backslash-escaped characters
_UNQUOTED = lazy_pattern(
    r"""(?<![\w/\\])(?:~|\.{1,2})?/(?:\\.|[^\s'"`])+|(?:\\.|[^\s'"`/])(?:\\.|[^\s'"`])*"""
)


@dataclass(frozen=True)
class FileMention:
    """One file named in a message: ``raw`` as written, ``path`` expanded (not resolved),
    ``span`` where ``raw`` stands in the message."""

    raw: str
    path: Path
    span: tuple[int, int]

    @property
    def exists(self) -> bool:
        return self.path.exists()


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _expanded(text: str, base: Path | None) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() or base is None else base / path


def _looks_like_path(text: str) -> bool:
    """A word that names a file: it starts like a path or ends with a media suffix."""
    return text.startswith(("/", "~/", "./", "../")) or Path(text).suffix.lower() in MEDIA_SUFFIXES


def _url_path(url: str) -> str:
    parsed = urlparse(url)
    host = parsed.netloc if parsed.netloc not in ("", "localhost") else ""
    return unquote(("//" + host if host else "") + parsed.path)


def file_mentions(text: str, *, base: Path | None = None) -> list[FileMention]:
    """Every file the message names, in order. ``base`` is where relative paths start (the
    current folder when None)."""
    found: list[FileMention] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(raw: str, path_text: str, start: int, end: int) -> None:
        taken.append((start, end))
        found.append(FileMention(raw, _expanded(path_text, base), (start, end)))

    for match in _URL.finditer(text):
        raw = match.group().rstrip(TRAILING)
        add(raw, _url_path(raw), match.start(), match.start() + len(raw))
    for match in _QUOTED.finditer(text):
        body, span = match["body"].strip(), match.span("all")
        if free(*span) and (_looks_like_path(body) or body.startswith("file://")):
            inner = _url_path(body) if body.startswith("file://") else body
            add(match["all"], inner, *span)
    for match in _UNQUOTED.finditer(text):
        raw = match.group().rstrip(TRAILING)
        start, end = match.start(), match.start() + len(raw)
        if not raw or not free(start, end) or not _looks_like_path(_unescape(raw)):
            continue
        raw, end = _joined_over_spaces(text, raw, start, end, base)
        add(raw, _unescape(raw), start, end)
    return sorted(found, key=lambda m: m.span)


def _joined_over_spaces(
    text: str, raw: str, start: int, end: int, base: Path | None
) -> tuple[str, int]:
    """A path typed with plain spaces ("~/refs/my song.wav"): the shortest run of the
    following words that makes an existing file, else ``raw`` as it was."""
    if _expanded(_unescape(raw), base).exists() or not raw.startswith(("/", "~/", "./", "../")):
        return raw, end
    stop = end
    for _ in range(LONGEST_UNQUOTED_WORDS):
        following = re.match(r"\s+(\S+)", text[stop:])
        if following is None:
            break
        stop += following.end()
        candidate = text[start:stop].rstrip(TRAILING)
        if _expanded(_unescape(candidate), base).is_file():
            return candidate, start + len(candidate)
    return raw, end


def words_around(text: str, mentions: list[FileMention]) -> str:
    """The message with the named files taken out (what was said about them)."""
    parts, last = [], 0
    for mention in sorted(mentions, key=lambda m: m.span):
        parts.append(text[last : mention.span[0]])
        last = mention.span[1]
    parts.append(text[last:])
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


REFERENCE_WORDS = lazy_pattern(
    r"\b(?:sound(?:s|ing)?\s+(?:more\s+)?like|make\s+it\s+like|closer\s+to|match(?:es|ing)?|"
    r"reference|ref)\b",
    re.IGNORECASE,
)
MIX_WORDS = lazy_pattern(
    r"\b(?:mix(?:down)?|bounce[ds]?|master(?:ed)?|full\s+song|whole\s+song|two[- ]?track|"
    r"stereo\s+mix|premaster)\b",
    re.IGNORECASE,
)
STEM_WORDS = lazy_pattern(r"\b(?:stem|part|take|recording|overdub)s?\b", re.IGNORECASE)


def names_a_reference(words: str) -> bool:
    """ "make it sound like this", "use this as a reference", "match this"."""
    return bool(REFERENCE_WORDS.search(words))


def says_mix(words: str) -> bool:
    return bool(MIX_WORDS.search(words))


def says_stem(words: str) -> bool:
    return bool(STEM_WORDS.search(words))
