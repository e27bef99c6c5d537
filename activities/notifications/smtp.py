"""Hand messages to the SMTP server (the standard library's smtplib: sync, like the registry's
activities, which run on the worker's thread pool).

A message counts as sent when the server answered 250 to its data: from then on, delivering
it is the server's job."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from activities.notifications.settings import MailSettings


class SmtpFailed(Exception):
    """The server is unreachable or the connection broke; the text says why, never the content."""


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


@contextmanager
def connection(settings: MailSettings) -> Iterator[smtplib.SMTP]:
    """A logged-in connection, closed afterwards; SmtpFailed when the server cannot be reached."""
    timeout = settings.timeout.total_seconds()
    try:
        if settings.security == "tls":
            server: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout,
                                                    context=ssl.create_default_context())  # fmt: skip
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as error:
        raise SmtpFailed(_reason(error)) from None
    try:
        if settings.security == "starttls":
            server.starttls(context=ssl.create_default_context())
        if settings.username:
            server.login(settings.username, settings.password or "")
        yield server
    except (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as error:
        raise SmtpFailed(_reason(error)) from None
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()


def deliver(server: smtplib.SMTP, message: EmailMessage) -> str | None:
    """None when the server accepted the message, else why it refused this one (the next may pass)."""
    try:
        server.send_message(message)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as refused:
        return _reason(refused)
    return None
