"""Encrypted payloads: what Temporal stores of a case is unreadable without our keys.

AES-256-GCM, a fresh nonce per payload, the key id in the payload's metadata. Rotation: the
newest key encrypts, every older key still decrypts, so old histories still read and replay.
Payloads written before encryption (no `binary/encrypted` encoding) pass through unchanged.

Keys come from EA_ENCRYPTION_KEYS (`id:base64key,...`, the first one encrypts) or from a key
file (EA_KEYS_FILE, default var/keys.json, mode 0600). In production (EA_ENV=production) a
missing key is an error; elsewhere a local key file is created on first use.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, PayloadCodec

from workflows.converter import DATA_CONVERTER
from workflows.private_files import var_dir, write_private

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class KeyMissing(Exception):
    """No key where one is required, or a payload encrypted with a key we do not have."""


@dataclass(frozen=True)
class Keyring:
    """Keys by id; `current` encrypts, all decrypt."""

    current: str
    keys: dict[str, bytes]

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeyMissing(f"the current key {self.current!r} is not in the keyring")
        for key_id, key in self.keys.items():
            if len(key) != 32:
                raise KeyMissing(f"key {key_id!r} is {len(key)} bytes; AES-256 needs 32")

    @classmethod
    def generate(cls, key_id: str = "k1") -> Keyring:
        return cls(current=key_id, keys={key_id: secrets.token_bytes(32)})

    def rotated(self, new_id: str) -> Keyring:
        if new_id in self.keys:
            raise KeyMissing(f"key id {new_id!r} is already used")
        return Keyring(current=new_id, keys={**self.keys, new_id: secrets.token_bytes(32)})

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """`k2:base64,k1:base64`: the first key encrypts."""
        pairs = [item.strip().split(":", 1) for item in text.split(",") if item.strip()]
        if not pairs or any(len(pair) != 2 for pair in pairs):
            raise KeyMissing("EA_ENCRYPTION_KEYS is `id:base64key[,id:base64key...]`")
        return cls(current=pairs[0][0], keys={key_id: base64.b64decode(key) for key_id, key in pairs})

    def to_env(self) -> str:
        """The EA_ENCRYPTION_KEYS form of this keyring."""
        ordered = [self.current, *(k for k in self.keys if k != self.current)]
        return ",".join(f"{key_id}:{base64.b64encode(self.keys[key_id]).decode()}" for key_id in ordered)

    def to_json(self) -> str:
        keys = {key_id: base64.b64encode(key).decode() for key_id, key in self.keys.items()}
        return json.dumps({"current": self.current, "keys": keys}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        data = json.loads(text)
        return cls(current=data["current"], keys={k: base64.b64decode(v) for k, v in data["keys"].items()})

    def save(self, path: Path) -> None:
        """Written with mode 0600 from the start: the key is never readable by others, even briefly."""
        write_private(path, self.to_json())


def keys_file() -> Path:
    configured = os.environ.get("EA_KEYS_FILE")
    return Path(configured) if configured else var_dir() / "keys.json"


def in_production() -> bool:
    return os.environ.get("EA_ENV", "development") == "production"


def keyring_from_env() -> Keyring:
    configured = os.environ.get("EA_ENCRYPTION_KEYS")
    if configured:
        return Keyring.parse(configured)
    path = keys_file()
    if path.exists():
        return Keyring.from_json(path.read_text())
    if in_production():
        raise KeyMissing(
            "no encryption key: set EA_ENCRYPTION_KEYS or EA_KEYS_FILE (EA_ENV=production never makes one)"
        )
    keyring = Keyring.generate()
    keyring.save(path)
    return keyring


class EncryptionCodec(PayloadCodec):
    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keyring.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key_id = self.keyring.current
        cipher = self._ciphers[key_id]
        encoded = []
        for payload in payloads:
            nonce = secrets.token_bytes(NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), key_id.encode())
            encoded.append(Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed))
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption: readable as it is
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise KeyMissing(f"payload encrypted with key {key_id!r}, which this keyring does not hold")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        return Payload.FromString(cipher.decrypt(nonce, sealed, key_id.encode()))


def encrypted_converter(keyring: Keyring) -> DataConverter:
    """The pydantic converter with our codec: what the worker, the CLI, the tests and the Replayer use."""
    return dataclasses.replace(DATA_CONVERTER, payload_codec=EncryptionCodec(keyring))
