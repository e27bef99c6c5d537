"""Notifications: the e-mails events call for, the référents' daily digest and their calendar feed.

Events queue messages in the registry's outbox in the journal's own transaction (outbox.py); a
sender started every minute by a Temporal Schedule sends them by SMTP (sender.py); names and
addresses are read from the registry when a message is written (compose.py), so no personal data
enters Temporal.
"""
