"""Columns encrypted at rest: health free text, the journal's private detail, documents, scans.

The case file holds special-category data (what an evaluation found, the médecin du travail's
opinion, a review's notes). The registry stores it sealed with the project's keyring (AES-256-GCM,
the key id in the value), so a copy of the database file, a backup or a dump shows none of it.
The newest key seals; every key of the ring opens, so `ea keys rotate` then `reseal` re-encrypts
the rows with the new key without a moment when anything is unreadable. Values written before
a column was sealed read back as they are.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, LargeBinary, Text, select, type_coerce, update
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from activities.registry.database import Base
from workflows.encryption import NONCE_BYTES, KeyMissing, Keyring, keyring_from_env, keys_file

MARK = b"ea-sealed:"
"""How a sealed value starts: `ea-sealed:<key id>:` then the nonce and the ciphertext."""

_cached: tuple[tuple[Any, ...], Keyring] | None = None


def current_keyring() -> Keyring:
    """The keyring as the environment (or the key file) says now; read again only when either changes.
    Called for every sealed value: with the keys in the environment, no file is even looked at."""
    global _cached
    configured = os.environ.get("EA_ENCRYPTION_KEYS")
    if configured:
        source: tuple[Any, ...] = (configured,)
    else:
        path = keys_file()
        source = (None, str(path), path.stat().st_mtime_ns if path.exists() else None)
    if _cached is None or _cached[0] != source:
        _cached = (source, keyring_from_env())
    return _cached[1]


def seal(plain: bytes, keyring: Keyring | None = None) -> bytes:
    keyring = keyring or current_keyring()
    key_id = keyring.current.encode()
    nonce = secrets.token_bytes(NONCE_BYTES)
    return MARK + key_id + b":" + nonce + AESGCM(keyring.keys[keyring.current]).encrypt(nonce, plain, key_id)


def sealed_with(value: bytes) -> str | None:
    """The id of the key a value is sealed with; None for a value in clear (written before sealing)."""
    if not value.startswith(MARK):
        return None
    return value[len(MARK) :].split(b":", 1)[0].decode()


def unseal(value: bytes, keyring: Keyring | None = None) -> bytes:
    key_id = sealed_with(value)
    if key_id is None:
        return value
    keyring = keyring or current_keyring()
    key = keyring.keys.get(key_id)
    if key is None:
        raise KeyMissing(f"a registry value is sealed with key {key_id!r}, which this keyring does not hold")
    body = value[len(MARK) + len(key_id) + 1 :]
    return AESGCM(key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], key_id.encode())


class SealedBytes(TypeDecorator[bytes]):
    """Bytes sealed at rest (a PDF, a scan)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else seal(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else unseal(value)


class SealedText(TypeDecorator[str]):
    """Text sealed at rest, stored as ASCII (`ea-sealed:k1:` and base64) in a text column."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        sealed = seal(value.encode("utf-8"))
        head = MARK + (sealed_with(sealed) or "").encode() + b":"
        return (head + base64.b64encode(sealed[len(head) :])).decode("ascii")

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _open_text(value).decode("utf-8")


def _open_text(value: str) -> bytes:
    raw = value.encode("utf-8")
    key_id = sealed_with(raw)
    if key_id is None:
        return raw
    head = MARK + key_id.encode() + b":"
    return unseal(head + base64.b64decode(raw[len(head) :]))


class SealedJSON(TypeDecorator[Any]):
    """A JSON value sealed at rest (the journal's private detail)."""

    impl = Text
    cache_ok = True
    _text = SealedText()

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self._text.process_bind_param(json.dumps(value, ensure_ascii=False), dialect)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(_open_text(value))


SEALED_TYPES = (SealedBytes, SealedText, SealedJSON)


def sealed_columns() -> Iterator[tuple[Any, Any]]:
    """Every sealed column of the registry, with its table."""
    from activities.registry import schema  # noqa: F401  (its tables declare the columns; it imports this module)

    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, SEALED_TYPES):
                yield table, column


def reseal(engine: Engine) -> int:
    """Seal again with the current key every value sealed with an older one (or not sealed yet);
    returns how many values changed. Idempotent: run it again after a crash."""
    keyring = current_keyring()
    changed = 0
    with engine.begin() as connection:
        for table, column in sealed_columns():
            raw = type_coerce(column, column.type.impl)
            key = list(table.primary_key.columns)
            query = select(*key, raw).where(column.is_not(None))
            for row in connection.execute(query).all():
                stored = row[-1].encode("utf-8") if isinstance(row[-1], str) else row[-1]
                if sealed_with(stored) == keyring.current:
                    continue
                value = column.type.process_result_value(row[-1], connection.dialect)
                where = [part == row[index] for index, part in enumerate(key)]
                connection.execute(update(table).where(*where).values({column.name: value}))
                changed += 1
    return changed
