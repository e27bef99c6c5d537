"""The web application's settings, from the environment (the same one the worker and `ea` read)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class OidcSettings:
    """A platform's identity provider (OpenID Connect): staff sign in there, and an account with
    the same e-mail address must exist here (its role and structure are ours to decide)."""

    issuer: str
    client_id: str
    client_secret: str
    name: str = "l'annuaire de la structure"

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    idle: timedelta = timedelta(minutes=30)
    """A session unused this long ends: the person signs in again."""
    secure_cookies: bool = False
    """Cookies only over HTTPS: set EA_WEB_SECURE=1 behind TLS (a reverse proxy)."""
    oidc: OidcSettings | None = None
    step_wait: float = 10.0
    """Seconds a page waits for the case's answer before saying it will come."""

    @classmethod
    def from_env(cls) -> WebSettings:
        env = os.environ
        oidc = None
        if env.get("EA_OIDC_ISSUER"):
            oidc = OidcSettings(issuer=env["EA_OIDC_ISSUER"], client_id=env.get("EA_OIDC_CLIENT_ID", ""),
                                client_secret=env.get("EA_OIDC_CLIENT_SECRET", ""),
                                name=env.get("EA_OIDC_NAME") or OidcSettings.name)  # fmt: skip
        return cls(
            host=env.get("EA_WEB_HOST", cls.host),
            port=int(env.get("EA_WEB_PORT", cls.port)),
            idle=timedelta(minutes=float(env.get("EA_WEB_IDLE_MINUTES", 30))),
            secure_cookies=env.get("EA_WEB_SECURE", "").lower() in ("1", "true", "yes"),
            oidc=oidc,
            step_wait=float(env.get("EA_WAIT", cls.step_wait)),
        )

    @property
    def address(self) -> str:
        return f"http://{'localhost' if self.host in ('127.0.0.1', '0.0.0.0') else self.host}:{self.port}"
