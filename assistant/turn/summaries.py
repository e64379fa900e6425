"""A session told as data: its stems and roles, its versions, the difference between two.

The command line prints these (as tables or ``--json``) and the MCP server returns them, so
both say the same thing about a session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for the annotations: `mixchat --help` should not load the store
    from mixchat.tools.session import Session


def session_summary(session: Session) -> dict[str, Any]:
    meta = session.meta
    return {
        "session": str(session.path),
        "version": session.latest_number(),
        "sample_rate": meta.sample_rate,
        "duration_s": round(meta.duration_s, 2),
        "tempo_bpm": meta.tempo_bpm,
        "stems": [
            {
                "name": s.name,
                "role": s.role,
                "role_confidence": s.role_confidence,
                "role_source": s.role_source,
            }
            for s in meta.stems
        ],
        "sections": [s.model_dump() for s in meta.sections],
        "warnings": list(meta.warnings),
    }


def role_rows(session: Session) -> list[dict[str, Any]]:
    return [
        {"track": s.name, "role": s.role, "confidence": s.role_confidence, "source": s.role_source}
        for s in session.meta.stems
    ]


def version_rows(session: Session) -> list[dict[str, Any]]:
    """Every readable version, oldest first (a damaged one is left out)."""
    latest = session.latest_number()
    return [
        {
            "version": v.version,
            "parent": v.parent,
            "brief": v.brief,
            "summary": v.summary,
            "created": v.created,
            "kind": v.kind,
            "current": v.version == latest,
        }
        for v in session.versions()
    ]


def damaged_versions(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """The version numbers on disk that ``rows`` (from ``version_rows``) could not read."""
    listed = {row["version"] for row in rows}
    return [n for n in session.version_numbers() if n not in listed]


def version_diff(session: Session, a: int, b: int) -> dict[str, Any]:
    """Settings and metric differences between versions ``a`` and ``b``."""
    # Deferred: the comparison brings the loudness meter (scipy); `mixchat versions` and the
    # other commands that print these summaries should not wait for it.
    from mixchat.tools.compare import metric_rows, state_diff

    va, vb = session.load(a), session.load(b)
    return {
        "a": a,
        "b": b,
        "settings": [{"setting": k, "a": x, "b": y} for k, x, y in state_diff(va.state, vb.state)],
        "metrics": metric_rows(va.metrics, vb.metrics),
    }
