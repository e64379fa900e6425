"""A message that is, or holds, a path to a file: handled by what the file is.

* an image: screenshot feedback on the plugin in it, in the session's context ("this is on my
  vocal" names the track, whose current settings the reply quotes);
* an audio file named as a reference ("make it sound like PATH", "use this as a reference"):
  a reference match as a new version (loudness, broad tonal balance, width), each move with
  what was measured before and after;
* any other audio file: Mix-Check feedback on it, as a finished mix or as a stem, told apart
  by the words around it ("my bounce", "the new vocal take") and else by its content.

A missing or unreadable file is one line (:class:`NamedFileError`). The chat, `mixchat say` and
the MCP server's `say` all come through :func:`handle_files`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mixchat.assistant.planning.errors import NamedFileError
from mixchat.assistant.reading.files import (
    FileMention,
    file_mentions,
    names_a_reference,
    says_mix,
    says_stem,
    words_around,
)
from mixchat.assistant.turn.file_replies import (
    feedback_reply,
    screenshot_reply,
)
from mixchat.assistant.turn.result import Attachment, TurnResult
from mixchat.dsp.audio_io import load_audio
from mixchat.dsp.errors import AudioFileError
from mixchat.dsp.roles import ROLES, audio_features
from mixchat.tools.session import Session, Version

Progress = Callable[[str, float], None]
AUDIO_SUFFIXES = frozenset(
    ".wav .wave .flac .aif .aiff .aifc .mp3 .ogg .oga .opus .caf .w64 .rf64".split()
)
# content: a full mix carries bass and air together, plays without gaps and is not a noisy
# (drum-only) signal; measured on ../shared/data/real (3 songs' stems and sums), checked on
# the demo song and ../shared/data/songs (tests/test_files_turn.py)
MIX_LOW_SHARE = (0.25, 0.85)  # energy under 150 Hz
MIX_HIGH_SHARE = 0.005  # energy over 4 kHz
MIX_FLATNESS = 0.1  # spectral flatness 100 Hz-6 kHz: drums alone run 0.15-0.2
MIX_GAPS = 0.05  # share of silent frames


def handle_files(
    session: Session,
    brief: str,
    *,
    parent: Version,
    progress: Progress | None = None,
    base: Path | None = None,
) -> TurnResult | None:
    """The turn for a message naming a file, or None when it names none."""
    mentions = file_mentions(brief, base=base)
    if not mentions:
        return None
    mention = _usable(mentions)
    kind = file_kind(mention)
    words = words_around(brief, mentions)
    report = progress or (lambda label, fraction: None)
    session.log_chat(role="user", text=brief, version=parent.version)
    result: TurnResult
    if kind == "image":
        result = _screenshot_turn(session, mention.path, words, parent)
    elif names_a_reference(words):
        from mixchat.assistant.turn.reference import reference_turn  # the engine: only here

        result = reference_turn(session, mention.path, brief=brief, parent=parent, progress=report)
    else:
        result = _feedback_turn(session, mention.path, words, parent, report)
    if len(mentions) > 1:
        note = f"\n\n(One file at a time: I used {mention.path.name}.)"
        result = result.model_copy(update={"reply": result.reply + note})
    session.log_chat(role="assistant", text=result.reply, version=result.version)
    report("done", 1.0)
    return result


def _usable(mentions: list[FileMention]) -> FileMention:
    existing = [m for m in mentions if m.path.exists()]
    if existing:
        return existing[0]
    missing = mentions[0]
    raise NamedFileError(
        f"{missing.path} does not exist; check the path (dragging the file into the terminal "
        "pastes its exact path)"
    )


def file_kind(mention: FileMention) -> str:
    """ "image" or "audio"; anything else is one line saying what the file is not."""
    path = mention.path
    if path.is_dir():
        raise NamedFileError(
            f"{path} is a folder; name an audio file or a screenshot (a stems folder opens "
            f"with `mixchat chat {path}`)"
        )
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise NamedFileError(
            f"{path} cannot be read ({error.strerror}); check its permissions"
        ) from None
    if path.suffix.lower() in AUDIO_SUFFIXES:
        return "audio"
    from PIL import Image, UnidentifiedImageError  # only for a file named in a brief

    try:
        with Image.open(path) as image:
            image.verify()
        return "image"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        pass
    raise NamedFileError(
        f"{path.name} is neither an audio file (WAV, FLAC, AIFF, MP3...) nor an image I can "
        "read (PNG, JPEG...); export it as one of those"
    )


# --- words: which track, which role ---------------------------------------------------
def track_named(words: str, parent: Version) -> str | None:
    """The session track the words point at: its name, or the role ("my vocal")."""
    from mixchat.assistant.knowledge.session_facts import tracks_asked_about

    tracks = [(t.name, t.role) for t in parent.state.audible_tracks()]
    found = tracks_asked_about(words, tracks)
    return found[0] if found else None


def role_from_words(words: str) -> str | None:
    """A session role from the words ("this is on my vocal" → vocal, "the kick" → kick)."""
    from mixchat.assistant.knowledge.plugins import find_roles  # files only: not a brief's
    from mixchat.assistant.knowledge.session_facts import SESSION_ROLES

    for word in re.findall(r"[a-z_]+", words.lower()):
        if word in ROLES and word not in ("other", "lead"):
            return word
    for found in find_roles(words):
        if found in SESSION_ROLES:
            return SESSION_ROLES[found][0]
    return None


# --- an image ------------------------------------------------------------------------
def _screenshot_turn(session: Session, image: Path, words: str, parent: Version) -> TurnResult:
    from mixchat.assistant.knowledge.screenshot_review import a_source
    from mixchat.assistant.turn.actions import screenshot_feedback  # the LLM client: only here

    track = track_named(words, parent)
    role = parent.state.track(track).role if track else role_from_words(words)
    data = screenshot_feedback(image, session=session, role=role)
    reply = screenshot_reply(
        data,
        image=image,
        track=parent.state.track(track) if track else None,
        role_label=a_source(role or data.get("role") or "other"),
        version=parent.version,
    )
    attachment = Attachment(kind="screenshot", path=str(image), role=role)
    return _answer(parent, reply, attachment=attachment, report=data)


# --- an audio file -------------------------------------------------------------------
def looks_like_mix(path: Path) -> tuple[bool, str]:
    """Whether a file's content reads as a full mix (low end, mids and air together), and
    why, in a few words."""
    loaded = load_audio(path)
    features = audio_features(loaded.audio, sample_rate=loaded.sample_rate)
    low, high = features["low_share"], features["high_share"]
    full = (
        MIX_LOW_SHARE[0] <= low <= MIX_LOW_SHARE[1]
        and high >= MIX_HIGH_SHARE
        and features["flatness"] < MIX_FLATNESS
        and features["gaps"] < MIX_GAPS
    )
    shares = f"{100 * low:.0f}% of its energy under 150 Hz, {100 * high:.1f}% over 4 kHz"
    return full, shares


def _feedback_turn(
    session: Session, path: Path, words: str, parent: Version, report: Progress
) -> TurnResult:
    from mixchat.assistant.inspection.feedback import feedback_for_path  # slow: only here

    track = track_named(words, parent)
    role = parent.state.track(track).role if track else role_from_words(words)
    if says_mix(words) and not says_stem(words):
        as_mix, why = True, "you called it a mix"
    elif role is not None or says_stem(words):
        as_mix, why = (
            False,
            "you called it " + (f"the {role.replace('_', ' ')}" if role else "a stem"),
        )
    else:
        try:
            as_mix, shares = looks_like_mix(path)
        except AudioFileError as error:
            raise NamedFileError(str(error)) from None
        why = f"{'it spans' if as_mix else 'it does not span'} the whole range ({shares})"
    folder = session.path / "plots" / _plot_group(path)
    try:
        if as_mix:
            data = feedback_for_path(path, plots_dir=folder, progress=report)
        else:
            data = stem_feedback(path, role=role, plots_dir=folder, progress=report)
    except AudioFileError as error:
        raise NamedFileError(str(error)) from None
    reply = feedback_reply(
        data,
        path=path,
        as_mix=as_mix,
        why=why,
        track=parent.state.track(track) if track else None,
        track_facts=(parent.metrics.get("tracks") or {}).get(track) if track else None,
    )
    attachment = Attachment(kind="mix" if as_mix else "stem", path=str(path), role=role)
    plots = tuple(data.get("plots", []))
    return _answer(parent, reply, attachment=attachment, report=data, plots=plots)


def stem_feedback(
    path: Path, *, role: str | None, plots_dir: Path, progress: Progress
) -> dict[str, Any]:
    """Feedback on one audio file judged as a stem (``inspection.stem_feedback``: its role
    given or read from it), with its measurements and its spectrum and loudness plots."""
    from mixchat.assistant.inspection.analyze import Material, measure_material
    from mixchat.assistant.inspection.plots import write_plots
    from mixchat.assistant.inspection.stem_feedback import stem_file_feedback

    data = stem_file_feedback(path, role=role, progress=progress)
    loaded = load_audio(path)
    name = path.stem
    material = Material(
        "stems",
        str(path),
        loaded.sample_rate,
        loaded.audio,
        {name: loaded.audio},
        {name: data["role"]},
        {name: str(path)},
        [],
        None,
        list(loaded.warnings),
    )
    measured = measure_material(material, progress=progress)
    plots = write_plots(material, measured, plots_dir=plots_dir)
    return {**data, "measured": measured["stems"][0], "plots": [str(p) for p in plots]}


def _plot_group(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-.") or "file"
    return f"file-{name[:60]}"


def _answer(
    parent: Version,
    reply: str,
    *,
    attachment: Attachment,
    report: dict[str, Any],
    plots: tuple[str, ...] = (),
) -> TurnResult:
    """A turn that answers about a file without changing the mix."""
    return TurnResult(
        version=None,
        parent=parent.version,
        planner="offline",
        intent="question",
        reply=reply,
        attachment=attachment,
        report=report,
        plots=tuple(plots),
    )
