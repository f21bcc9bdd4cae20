"""A caller's analyses (GET /analyses): who sees which, filters, and cursor pagination.

Who sees which: an administrator, every analysis; a caller who names a coach entry they own (coach=...),
every analysis made against it, whoever made it (a coach following their students); anyone else, the
analyses they made themselves. Another user's analysis is never listed, and GET /analyses/{id} answers it
as missing (Analyzer.get), so ids cannot be probed.

Progress (GET /analyses/progress?technique=...): the caller's own analyses of one technique, oldest first,
with the overall and aspect scores and the peak speed and force each measured; the change of the overall
score from the first to the last. A technique is named as the analyses store it (normalised names).

Pagination by keyset, not offset: the cursor is the (created_at, id) of the last row of the page, so a
page does not shift when new analyses are stored meanwhile, and deep pages cost what the first does.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from services.kit import errors
from services.kit.context import Principal

from services.kit.techniques import normalise_technique

from .analysis import CoachPort
from .store import AnalysisStore, AnalysisSummary

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
PROGRESS_POINTS = 200


@dataclass(frozen=True)
class AnalysisQuery:
    coach: str = ""
    technique: str = ""
    since: str = ""     # RFC 3339, inclusive
    until: str = ""     # RFC 3339, exclusive
    limit: int = 0      # 0: DEFAULT_LIMIT
    cursor: str = ""


def _time(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise errors.InvalidRequest(f"{field} must be an RFC 3339 time with a zone, e.g. 2026-12-03T10:00:00Z",
                                    details={field: f"not an RFC 3339 time: {value[:40]!r}"})
    return parsed


def encode_cursor(row: AnalysisSummary) -> str:
    raw = json.dumps([row.created_at.isoformat(), row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        created, ident = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(created), str(ident)
    except (ValueError, TypeError):
        raise errors.InvalidRequest("cursor is not one this API gave; use next_cursor as returned",
                                    details={"cursor": "malformed"}) from None


async def list_analyses(store: AnalysisStore, coaches: CoachPort, query: AnalysisQuery,
                        principal: Principal | None) -> tuple[list[AnalysisSummary], str]:
    """(one page of analyses, newest first; the next page's cursor, "" on the last page)."""
    if principal is None:
        raise errors.Unauthorized("Authentication required")
    if not 0 <= query.limit <= MAX_LIMIT:
        raise errors.InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}", details={"limit": f"got {query.limit}"})
    since, until, after = _time(query.since, "from"), _time(query.until, "to"), decode_cursor(query.cursor)
    owner: str | None = principal.user_id
    if principal.is_admin:
        owner = None
    elif query.coach:
        try:
            if (await coaches.profile(query.coach)).owner_id == principal.user_id:
                owner = None  # the coach's owner sees every analysis made against it
        except errors.NotFound:
            pass  # a coach since deleted: the caller's own analyses against it are still theirs
    limit = query.limit or DEFAULT_LIMIT
    rows = await store.page(owner_id=owner, coach=query.coach, technique=query.technique, since=since, until=until,
                            after=after, limit=limit + 1)
    page = rows[:limit]
    return page, encode_cursor(page[-1]) if len(rows) > limit else ""


async def progress(store: AnalysisStore, technique: str, coach: str,
                   principal: Principal | None) -> tuple[str, list[dict]]:
    """(the technique's normalised name, the caller's analyses of it over time: store.progress rows)."""
    if principal is None:
        raise errors.Unauthorized("Authentication required")
    if not technique:
        raise errors.InvalidRequest("Name the technique whose progress to show",
                                    details={"technique": "This field is required"})
    name = normalise_technique(technique)
    return name, await store.progress(principal.user_id, name, coach, PROGRESS_POINTS)
