"""Outbox events: the envelope every consumer shares and who may see what.

Visibility (one function, used by the live hub and by WebSocket replay alike):
- `appointment.*`, `hold.*`, `handoff.requested`: `Principal.may_see(dentist_id, patient_id)`:
  admin sees all, a patient (or the `chatbot` role acting for one) only rows with their own
  patient_id (so a handoff only when it is theirs), a dentist only rows with their own
  dentist_id (handoffs carry none).
- `availability.updated`: admin sees all; a dentist sees their own; a patient sees every
  dentist's, redacted to `{"source", "op"}` (the row may hold a private time-off reason), because
  the patient page needs the hint to refresh the slots it offers.
- `waitlist.offered`: that patient (their own sockets) and admins; not dentists.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from chatbot.auth import Principal

AVAILABILITY = "availability.updated"
WAITLIST_OFFERED = "waitlist.offered"


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    occurred_at: dt.datetime
    dentist_id: int | None
    patient_id: int | None
    data: dict[str, Any]
    _json: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def envelope(self, *, redacted: bool = False) -> dict[str, Any]:
        data = self.data
        if redacted:
            data = {"source": data.get("source"), "op": data.get("op")}
        return {
            "id": self.id,
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "dentist_id": self.dentist_id,
            "patient_id": self.patient_id,
            "data": data,
        }

    def to_json(self, *, redacted: bool = False) -> str:
        """Serialised once per variant, however many sockets receive it."""
        key = "redacted" if redacted else "full"
        text = self._json.get(key)
        if text is None:
            text = json.dumps(self.envelope(redacted=redacted), separators=(",", ":"))
            self._json[key] = text
        return text


def dentist_sees(event: Event) -> bool:
    """Whether the event's dentist (if it names one) receives it; the hub's dentist index and
    `view_for` both ask this."""
    return event.type != WAITLIST_OFFERED


def view_for(principal: Principal, event: Event) -> str | None:
    """The JSON text this principal may receive for `event`, or None when hidden."""
    if event.type == AVAILABILITY:
        if principal.is_admin:
            return event.to_json()
        if principal.role == "dentist":
            return event.to_json() if event.dentist_id == principal.dentist_id else None
        return event.to_json(redacted=True)
    if principal.role == "dentist" and not dentist_sees(event):
        return None  # e.g. a waitlist offer is between the clinic and that patient
    if principal.may_see(event.dentist_id, event.patient_id):
        return event.to_json()
    return None
