"""Sign-in links by e-mail, sent at once through the platform's SMTP server (the settings the
worker's notifications use): a link is only useful within minutes, an outbox would be too late."""

from __future__ import annotations

import logging

from fastapi import Request

from activities.notifications.compose import Recipient, Writer
from activities.notifications.settings import mail_settings_from_env
from activities.notifications.smtp import SmtpFailed, connection, deliver
from activities.registry.parties import Link

log = logging.getLogger("ea.web")


def base_url(request: Request) -> str:
    """Where links point: the application's public address (EA_APP_URL), else the one asked."""
    settings = mail_settings_from_env()
    return (settings.app_url or str(request.base_url)).rstrip("/")


def send_links(links: list[Link], base: str, valid_minutes: int) -> bool:
    """Send each link to its party; False when the mail server could not take them."""
    if not links:
        return True  # an unknown address is answered like a known one
    settings = mail_settings_from_env()
    writer = Writer(settings)
    try:
        with connection(settings) as server:
            for link in links:
                context = {"recipient_role": link.party.actor.role.value, "sign_in": f"{base}/espace/lien/{link.token}",
                           "valid_minutes": valid_minutes, "link": None}  # fmt: skip
                message = writer.write("sign_in_link", Recipient(link.party.name, link.party.address), context,
                                       key=f"ea.link.{link.token[:12]}")  # fmt: skip
                if (refused := deliver(server, message)) is not None:
                    log.warning("sign-in link refused by the mail server: %s", refused.split(":")[0])
                    return False
    except SmtpFailed as failed:
        log.warning("sign-in link not sent: %s", str(failed).split(":")[0])
        return False
    return True
