"""Staff accounts, their sessions and the access log: who may sign in, as whom, and who saw what.

Passwords are hashed with argon2id (argon2-cffi's defaults, rehashed when they change); a session
is a random token whose hash only is stored, so a copy of the database opens no session. Failed
sign-ins are counted per account name and per address, hashed, to throttle guessing.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from activities.registry.database import utc
from activities.registry.schema import AccessLogEntry, Account, Attempt, Referent, WebSession
from workflows.case.model import Actor

HASHER = PasswordHasher()
MINIMUM_PASSWORD = 12
"""ANSSI's advice for a password alone: 12 characters at least."""
SIGN_IN_WINDOW = timedelta(minutes=15)
ATTEMPTS_PER_NAME, ATTEMPTS_PER_ADDRESS = 5, 20
"""Failures within the window that lock an account name, or an address (an office shares one)."""
_UNUSABLE = HASHER.hash(secrets.token_hex(16))
"""Verified against when the name is unknown, so that an unknown name takes as long as a wrong password."""


class StaffRole(StrEnum):
    ADMIN = "admin"
    """Manages accounts and the directory; sees no person's file."""
    COORDINATOR = "coordinator"
    """Every case of their structure."""
    REFERENT = "referent"
    """The cases they follow."""


class AccountRefused(Exception):
    """An account cannot be created or changed as asked: `code` says which rule (each edge words
    it), the message says it in English for the terminal."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class StaffMember:
    """A signed-in account, as the web application sees it (no hash, no secret)."""

    id: str
    email: str
    name: str
    role: StaffRole
    structure_id: str | None
    referent_id: str | None


def _member(account: Account) -> StaffMember:
    return StaffMember(account.id, account.email, account.name, StaffRole(account.role), account.structure_id, account.referent_id)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def add_account(engine: Engine, *, email: str, name: str, role: StaffRole, password: str | None, now: datetime,
                structure_id: str | None = None, referent_id: str | None = None) -> StaffMember:  # fmt: skip
    """Create an account; a référent's is tied to their directory entry and takes its structure."""
    email = email.strip().lower()
    if password is not None and len(password) < MINIMUM_PASSWORD:
        raise AccountRefused("password_short", f"a password has at least {MINIMUM_PASSWORD} characters")
    with Session(engine) as session, session.begin():
        if session.scalar(select(Account.id).where(Account.email == email)):
            raise AccountRefused("email_taken", f"an account already signs in as {email}")
        if role is StaffRole.REFERENT:
            referent = session.get(Referent, referent_id) if referent_id else None
            if referent is None:
                raise AccountRefused("referent_unknown", "a référent's account names their entry in the directory (--referent; `ea directory referent` adds it)")
            if session.scalar(select(Account.id).where(Account.referent_id == referent_id)):
                raise AccountRefused("referent_taken", f"référent {referent_id} already has an account")
            structure_id = structure_id or referent.structure_id
        elif role is StaffRole.COORDINATOR and structure_id is None:
            raise AccountRefused("structure_needed", "a coordinator's account names their structure (--structure)")
        if role is not StaffRole.REFERENT:
            referent_id = None
        account = Account(id=f"u-{uuid.uuid4().hex[:10]}", email=email, name=name.strip(), role=role.value,
                          structure_id=structure_id if role is not StaffRole.ADMIN else None, referent_id=referent_id,
                          password_hash=HASHER.hash(password) if password else None, created_at=now)  # fmt: skip
        session.add(account)
        return _member(account)


def list_accounts(engine: Engine) -> list[tuple[StaffMember, bool]]:
    """Every account and whether it may sign in."""
    with Session(engine) as session:
        accounts = session.scalars(select(Account).order_by(Account.role, Account.email))
        return [(_member(account), account.disabled_at is None) for account in accounts]


def disable_account(engine: Engine, email: str, now: datetime) -> StaffMember:
    """The account signs in no more, and its open sessions end now."""
    with Session(engine) as session, session.begin():
        account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
        if account is None:
            raise AccountRefused("no_account", f"no account signs in as {email}")
        account.disabled_at = account.disabled_at or now
        session.execute(delete(WebSession).where(WebSession.account_id == account.id))
        return _member(account)


def has_admin(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Account).where(Account.role == StaffRole.ADMIN.value)) > 0


# --- Signing in -------------------------------------------------------------------------------


class Throttled(Exception):
    """Too many failures: no password is even checked until the window has passed."""


def attempt_keys(what: str, email: str, address: str, per_name: int, per_address: int) -> dict[str, int]:
    """Each key attempts of this kind are counted under, with the number that locks it."""
    return {_digest(f"{what}:email:{email.strip().lower()}"): per_name, _digest(f"{what}:address:{address}"): per_address}


def throttled(session: Session, keys: dict[str, int], now: datetime) -> bool:
    """Whether any key has reached its limit within the window (older attempts are forgotten)."""
    session.execute(delete(Attempt).where(Attempt.at < now - SIGN_IN_WINDOW))
    counted = session.execute(select(Attempt.key, func.count()).where(Attempt.key.in_(keys)).group_by(Attempt.key))
    return any(count >= keys[key] for key, count in counted)


def authenticate(engine: Engine, email: str, password: str, address: str, now: datetime) -> StaffMember | None:
    """The account these credentials open, or None (a failure is counted); Throttled after too many."""
    keys = attempt_keys("sign-in", email, address, ATTEMPTS_PER_NAME, ATTEMPTS_PER_ADDRESS)
    with Session(engine) as session, session.begin():
        if throttled(session, keys, now):
            raise Throttled()
        account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
        if _verified(account, password) and account is not None and account.disabled_at is None:
            session.execute(delete(Attempt).where(Attempt.key == next(iter(keys))))
            return _member(account)
        session.add_all(Attempt(key=key, at=now) for key in keys)
        return None


def _verified(account: Account | None, password: str) -> bool:
    stored = account.password_hash if account is not None else None
    try:
        HASHER.verify(stored or _UNUSABLE, password)
    except (VerificationError, InvalidHashError):
        return False
    if account is not None and stored and HASHER.check_needs_rehash(stored):
        account.password_hash = HASHER.hash(password)
    return stored is not None


def account_by_email(engine: Engine, email: str) -> StaffMember | None:
    """An enabled account for this address (signing in through the identity provider)."""
    with Session(engine) as session:
        account = session.scalar(select(Account).where(Account.email == email.strip().lower(), Account.disabled_at.is_(None)))
        return _member(account) if account is not None else None


@dataclass(frozen=True)
class OpenSession:
    token: str
    """Goes in the cookie only."""
    csrf_token: str
    member: StaffMember | None = None
    """A member of staff, signed in with their account;"""
    party: Actor | None = None
    """or a party to cases (the person, their representative, an employer), signed in by a link."""


def open_session(engine: Engine, who: StaffMember | Actor, now: datetime, replacing: str | None = None) -> OpenSession:
    """A new session for someone who just proved who they are; the token the browser came with
    (if any) is forgotten, so a token planted before sign-in never becomes a signed-in one."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    member, party = (who, None) if isinstance(who, StaffMember) else (None, who)
    with Session(engine) as session, session.begin():
        if replacing:
            session.execute(delete(WebSession).where(WebSession.token_hash == _digest(replacing)))
        session.add(WebSession(token_hash=_digest(token), account_id=member.id if member else None, party=str(party) if party else None,
                               csrf_token=csrf, created_at=now, last_seen_at=now))  # fmt: skip
    return OpenSession(token, csrf, member, party)


def resume_session(engine: Engine, token: str, now: datetime, idle: timedelta) -> OpenSession | None:
    """The session this token opens, if it has been used within `idle` (and its account, if any, is enabled)."""
    with Session(engine) as session, session.begin():
        row = session.get(WebSession, _digest(token))
        if row is None:
            return None
        account = session.get(Account, row.account_id) if row.account_id else None
        disabled = row.account_id is not None and (account is None or account.disabled_at is not None)
        if disabled or utc(row.last_seen_at) + idle < now:
            session.delete(row)
            return None
        if now - utc(row.last_seen_at) > timedelta(minutes=1):  # one write a minute at most
            row.last_seen_at = now
        return OpenSession(token, row.csrf_token, _member(account) if account else None, Actor.parse(row.party) if row.party else None)


def close_session(engine: Engine, token: str) -> None:
    with Session(engine) as session, session.begin():
        session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


# --- The access log ---------------------------------------------------------------------------


def log_access(engine: Engine, member: StaffMember, case_id: str, structure_id: str, what: str, now: datetime) -> None:
    with Session(engine) as session, session.begin():
        session.add(AccessLogEntry(at=now, account_id=member.id, case_id=case_id, structure_id=structure_id, what=what))


@dataclass(frozen=True)
class Access:
    at: datetime
    who: str
    case_id: str
    what: str


def accesses(engine: Engine, structure_id: str, limit: int = 500) -> list[Access]:
    """The newest displays of the structure's files, with the name of who displayed each."""
    with Session(engine) as session:
        rows = session.execute(
            select(AccessLogEntry, Account.name)
            .outerjoin(Account, Account.id == AccessLogEntry.account_id)
            .where(AccessLogEntry.structure_id == structure_id)
            .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
            .limit(limit)
        )
        return [Access(utc(entry.at), name or entry.account_id, entry.case_id, entry.what) for entry, name in rows]
