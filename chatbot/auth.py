"""JWT (HS256) tokens: who is calling and in which role.

Two audiences share the secret and never each other's tokens:
- web tokens (no `aud`): the pages, curl, the identity provider; accepted by the web app;
- turn tokens (`aud=actions`, 120 s): minted by the chat gateway for one chat turn and only
  accepted by the action server. A turn token that leaks from Rasa is useless at the web app.

Claims are validated strictly (`"2"`, `2.0` or `true` are not the patient id 2). Every
rejection raises `Unauthorized` with one generic message; the reason is only logged.
"""

from __future__ import annotations

import logging
import time
from typing import Literal

import jwt
from pydantic import BaseModel, Field, ValidationError, model_validator

from chatbot.errors import Forbidden, Unauthorized

log = logging.getLogger(__name__)

Role = Literal["patient", "dentist", "admin", "chatbot"]
ROLES: tuple[str, ...] = ("patient", "dentist", "admin", "chatbot")
MAX_TOKEN_CHARS = 4096
MAX_ID = 2**31 - 1
TURN_AUDIENCE = "actions"
TURN_TOKEN_TTL_S = 120
UNAUTHORIZED = "Sign in first: the token is missing, invalid or expired."
# Roles that act for exactly one patient (their own `patient_id`): `chatbot` is the service
# role "on behalf of the verified sender only", so it gets that patient's reach.
PATIENT_SCOPED = ("patient", "chatbot")


class Principal(BaseModel, frozen=True):
    """The verified caller. Patients/dentists carry their own id; nothing else is trusted."""

    sub: str
    role: Role
    patient_id: int | None = None
    dentist_id: int | None = None

    @model_validator(mode="after")
    def _ids_match_role(self) -> Principal:
        if self.role in PATIENT_SCOPED and self.patient_id is None:
            raise ValueError(f"{self.role} token needs patient_id")
        if self.role == "dentist" and self.dentist_id is None:
            raise ValueError("dentist token needs dentist_id")
        if not 0 < len(self.sub) <= 200:
            raise ValueError("bad sub")
        return self

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def patient_scoped(self) -> bool:
        """Acts for one patient only (a patient, or the bot on that patient's behalf)."""
        return self.role in PATIENT_SCOPED

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(f"this needs the {' or '.join(roles)} role")

    def may_see(self, dentist_id: int | None, patient_id: int | None) -> bool:
        """Row-level visibility shared by REST listings and the event hub."""
        if self.role == "admin":
            return True
        if self.patient_scoped:
            return patient_id is not None and patient_id == self.patient_id
        return dentist_id is not None and dentist_id == self.dentist_id


class Claims(BaseModel, strict=True, extra="ignore"):
    """The claims a token must carry, type-exact (JSON types, no coercion)."""

    sub: str = Field(min_length=1, max_length=200)
    role: Role
    exp: int
    iat: int | None = None
    aud: str | None = None
    patient_id: int | None = Field(default=None, gt=0, le=MAX_ID)
    dentist_id: int | None = Field(default=None, gt=0, le=MAX_ID)


def issue_token(
    secret: str, principal: Principal, ttl_s: int = 12 * 3600, *, audience: str | None = None
) -> str:
    if not secret:
        raise RuntimeError("APP_JWT_SECRET is empty")
    now = int(time.time())
    claims = principal.model_dump(exclude_none=True) | {"iat": now, "exp": now + ttl_s}
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")


def issue_turn_token(secret: str, principal: Principal, ttl_s: int = TURN_TOKEN_TTL_S) -> str:
    """A token for one chat turn: only the action server accepts it (`aud=actions`)."""
    return issue_token(secret, principal, ttl_s, audience=TURN_AUDIENCE)


def _reject(reason: str) -> Unauthorized:
    log.info("token rejected: %s", reason)
    return Unauthorized(UNAUTHORIZED)


def verify_token(secret: str, token: str | None, *, audience: str | None = None) -> Principal:
    """Decode and validate. `audience=None` (the web app) accepts only tokens without `aud`;
    `audience="actions"` only turn tokens. Any defect raises `Unauthorized` (generic text)."""
    if not token:
        raise _reject("missing")
    if len(token) > MAX_TOKEN_CHARS:
        raise _reject("too long")
    required = ["exp", "sub", "role"] + (["aud"] if audience else [])
    try:
        raw = jwt.decode(
            token, secret, algorithms=["HS256"], audience=audience, options={"require": required}
        )
    except jwt.InvalidTokenError as exc:  # expired, forged, wrong audience, malformed
        raise _reject(type(exc).__name__) from exc
    try:
        claims = Claims.model_validate(raw)
        if claims.aud != audience:
            raise _reject("audience")
        return Principal(
            sub=claims.sub,
            role=claims.role,
            patient_id=claims.patient_id,
            dentist_id=claims.dentist_id,
        )
    except ValidationError as exc:
        raise _reject("claims") from exc


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
