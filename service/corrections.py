"""A reviewer's corrections of the machine's labels, as the service stores them: the
session's overrides (``sessions.overrides_json``: sentence index -> act, sentence index ->
speaker label), one ``Correction`` audit row per change (the machine's labels in ``before``,
the reviewer's in ``after``), the notes the scorecard shows ("Corrected by Dana Lee on ...")
and the JSON Lines export for retraining. The API's PATCH and the web forms both come here;
the job worker reads ``stored_overrides`` and passes them to ``service.pipeline.score``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.overrides import CorrectionNote, Overrides
from analysis.types import Act
from service.auth import WEB_PREFIX, Principal
from service.db import ApiKey, CoachingSession, Correction, Person, User, new_id
from service.errors import ApiError

FORMER_USER = "A former user"


@dataclass(frozen=True)
class SentenceFix:
    """A reviewer's labels for the sentence ``index`` of the scorecard: ``act`` and/or
    ``speaker`` (a speaker label, or a speaker's name); None leaves that label alone."""

    index: int
    act: Act | None = None
    speaker: str | None = None


# --------------------------------------------------------------------------- overrides


def stored_overrides(db: Session, s: CoachingSession) -> Overrides:
    """The session's stored overrides and who made the corrections (for the scorecard)."""
    raw = s.overrides_json or {}
    acts = {int(i): Act(a) for i, a in (raw.get("acts") or {}).items()}
    speakers = {int(i): str(w) for i, w in (raw.get("speakers") or {}).items()}
    return Overrides(acts=acts, speakers=speakers, notes=notes(db, s.id))


def fix_sentences(db: Session, s: CoachingSession, fixes: Sequence[SentenceFix], caller: Principal) -> bool:
    """Store ``fixes`` as the session's overrides, with one audit row per changed sentence;
    a label set back to the machine's drops its override. Returns whether anything changed.
    Raises ApiError 409 (not scored yet) or 422 (no such sentence or speaker)."""
    card = s.scorecard_json or {}
    sentences = {x["index"]: x for x in card.get("sentences", [])}
    if s.status != "done" or not sentences:
        raise ApiError(409, "not_ready", "sentences can be corrected once the session is scored")
    raw = s.overrides_json or {}
    acts, speakers = dict(raw.get("acts") or {}), dict(raw.get("speakers") or {})
    changed = False
    for fix in fixes:
        shown = sentences.get(fix.index)
        if shown is None:
            raise ApiError(422, "validation_error", f"the scorecard has no sentence {fix.index}")
        machine = shown.get("machine") or {"act": shown["act"], "speaker": shown["speaker"]}
        act = fix.act.value if fix.act is not None else shown["act"]
        who = _speaker_label(card, fix.speaker) if fix.speaker is not None else shown["speaker"]
        changes = [k for k, v in (("act", act), ("speaker", who)) if v != shown[k]]
        if not changes:
            continue
        if "act" in changes:  # a label the form sent unchanged keeps its override (or none)
            _set(acts, fix.index, act, machine["act"])
        if "speaker" in changes:
            _set(speakers, fix.index, who, machine["speaker"])
        before = {"index": fix.index, "text": shown["text"], "act": machine["act"], "speaker": machine["speaker"]}
        record(db, s, caller, "sentence", before, {"act": act, "speaker": who, "changed": changes})
        changed = True
    s.overrides_json = {"acts": acts, "speakers": speakers} if acts or speakers else None
    return changed


def _set(labels: dict[str, str], index: int, value: str, machine: str) -> None:
    if value == machine:
        labels.pop(str(index), None)  # back to what the machine said: no override
    else:
        labels[str(index)] = value


def _speaker_label(card: dict, who: str) -> str:
    """The label of the scorecard's speaker ``who`` (a label, or a name as the scorecard
    shows it, case-insensitive); 422 otherwise."""
    wanted = who.strip()
    people = [(x["label"], x.get("name") or x["label"]) for x in card.get("speakers", [])]
    for label, name in people:
        if wanted in (label,) or wanted.casefold() == name.casefold():
            return label
    known = ", ".join(name for _, name in people)
    raise ApiError(422, "validation_error", f"speaker: {wanted!r} is not one of this session's speakers ({known})")


# --------------------------------------------------------------------------- audit rows


def record(db: Session, s: CoachingSession, caller: Principal, kind: str, before: dict | None,
           after: dict | None = None) -> Correction:
    """Add the audit row of one correction by ``caller`` (a web user or an API key)."""
    user_id = caller.key_id.removeprefix(WEB_PREFIX) if caller.key_id.startswith(WEB_PREFIX) else None
    key_id = None if user_id else caller.key_id
    row = Correction(id=new_id("cor"), org_id=s.org_id, session_id=s.id, user_id=user_id, api_key_id=key_id,
                     kind=kind, before=before, after=after)
    db.add(row)
    return row


def with_reviewers(db: Session, *where: Any) -> list[tuple[Correction, str]]:
    """(correction, who made it) oldest first: the user's person's name, else their email;
    an API key's name for an integration."""
    found = db.execute(
        select(Correction, Person.name, User.email, ApiKey.name, ApiKey.prefix)
        .outerjoin(User, User.id == Correction.user_id).outerjoin(Person, Person.id == User.person_id)
        .outerjoin(ApiKey, ApiKey.id == Correction.api_key_id)
        .where(*where).order_by(Correction.created_at, Correction.id)
    ).all()
    return [(c, _who(c, name, email, key, prefix)) for c, name, email, key, prefix in found]


def _who(c: Correction, name: str | None, email: str | None, key: str | None, prefix: str | None) -> str:
    if c.api_key_id:  # an integration's API key: its name, else its public prefix
        if key:
            return f"the integration {key}"
        return f"an integration (API key csk_{prefix}…)" if prefix else "an integration"
    return name or email or FORMER_USER


def notes(db: Session, session_id: str) -> tuple[CorrectionNote, ...]:
    """One note per reviewer and day, in time order: "2 sentences re-labelled, roles swapped"."""
    groups: dict[tuple[str, object], list[tuple[Correction, str]]] = {}
    for c, who in with_reviewers(db, Correction.session_id == session_id):
        groups.setdefault((who, c.created_at.date()), []).append((c, who))
    return tuple(CorrectionNote(_what([c for c, _ in rows]), who, rows[-1][0].created_at)
                 for (who, _), rows in groups.items())


def _what(rows: list[Correction]) -> str:
    def changed(what: str) -> set[int]:
        return {c.before["index"] for c in rows if c.kind == "sentence" and what in (c.after or {}).get("changed", ())}

    relabelled, moved = changed("act"), changed("speaker")
    parts = []
    if relabelled:
        parts.append(f"{_n(len(relabelled))} re-labelled")
    if moved:
        parts.append(f"{_n(len(moved))} given to the other speaker")
    swaps = sum(1 for c in rows if c.kind == "swap_roles")
    if swaps % 2 or (swaps and not parts):
        parts.append("roles swapped")
    if any(c.kind == "leader" for c in rows):
        parts.append("leader chosen")
    return ", ".join(parts) or "labels corrected"


def _n(n: int) -> str:
    return f"{n} sentence" if n == 1 else f"{n} sentences"


# --------------------------------------------------------------------------- export


def export_lines(db: Session, org_id: str) -> Iterator[str]:
    """The organisation's sentence corrections as JSON Lines, oldest first (for retraining
    the acts' layer): session id, sentence index and text, the machine's and the reviewer's
    act and speaker, who and when (ISO 8601, UTC). Sessions whose transcript was deleted
    (retention) give nothing: their words are gone, so there is nothing to retrain on; nor do
    private sessions (self-reviews): no one but their leader may read them, admins included."""
    purged = select(CoachingSession.id).where(
        CoachingSession.org_id == org_id,
        CoachingSession.transcript_purged_at.is_not(None) | CoachingSession.private.is_(True))
    for c, who in with_reviewers(db, Correction.org_id == org_id, Correction.kind == "sentence",
                                 Correction.session_id.not_in(purged)):
        before, after = c.before or {}, c.after or {}
        yield json.dumps({
            "session_id": c.session_id, "sentence_index": before.get("index"), "text": before.get("text"),
            "machine_act": before.get("act"), "reviewer_act": after.get("act"),
            "machine_speaker": before.get("speaker"), "reviewer_speaker": after.get("speaker"),
            "by": who, "at": _iso(c.created_at),
        }, ensure_ascii=False) + "\n"


def _iso(at: datetime) -> str:
    return at.isoformat()
