"""JWT (HS256) tokens: who is calling and in which role."""

from __future__ import annotations

import time
from typing import Literal

import jwt
from pydantic import BaseModel, ValidationError, model_validator

from chatbot.errors import Forbidden, Unauthorized

Role = Literal["patient", "dentist", "admin", "chatbot"]
ROLES: tuple[str, ...] = ("patient", "dentist", "admin", "chatbot")
MAX_TOKEN_CHARS = 4096


class Principal(BaseModel, frozen=True):
    """The verified caller. Patients/dentists carry their own id; nothing else is trusted."""

    sub: str
    role: Role
    patient_id: int | None = None
    dentist_id: int | None = None

    @model_validator(mode="after")
    def _ids_match_role(self) -> Principal:
        if self.role == "patient" and self.patient_id is None:
            raise ValueError("patient token needs patient_id")
        if self.role == "dentist" and self.dentist_id is None:
            raise ValueError("dentist token needs dentist_id")
        if not 0 < len(self.sub) <= 200:
            raise ValueError("bad sub")
        return self

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(f"this needs the {' or '.join(roles)} role")

    def may_see(self, dentist_id: int | None, patient_id: int | None) -> bool:
        """Row-level visibility shared by REST listings and the event hub."""
        if self.role in ("admin", "chatbot"):
            return True
        if self.role == "patient":
            return patient_id is not None and patient_id == self.patient_id
        return dentist_id is not None and dentist_id == self.dentist_id


def issue_token(secret: str, principal: Principal, ttl_s: int = 12 * 3600) -> str:
    if not secret:
        raise RuntimeError("APP_JWT_SECRET is empty")
    now = int(time.time())
    claims = principal.model_dump(exclude_none=True) | {"iat": now, "exp": now + ttl_s}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_token(secret: str, token: str | None) -> Principal:
    """Decode and validate; any defect (missing, malformed, expired, forged, unknown role)
    raises `Unauthorized` with a short reason."""
    if not token:
        raise Unauthorized("missing token")
    if len(token) > MAX_TOKEN_CHARS:
        raise Unauthorized("token too long")
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["exp", "sub", "role"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"invalid token: {exc}") from exc
    try:
        return Principal(
            sub=claims["sub"],
            role=claims["role"],
            patient_id=claims.get("patient_id"),
            dentist_id=claims.get("dentist_id"),
        )
    except (ValidationError, TypeError) as exc:
        raise Unauthorized("invalid token claims") from exc


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
