"""Builders that make tests read as the domain: a case, a prescription, a journey to a phase."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import TypeVar

from starter.scripted import TODAY
from workflows.case.model import CaseSettings, Prescriber, SpePrescription

T = TypeVar("T")

SECONDS = CaseSettings(
    reminder_after=timedelta(seconds=1),
    job_search_review_every=timedelta(seconds=1),
    in_job_review_every=timedelta(seconds=1),
    intensive_job_search_review_every=timedelta(seconds=1),
    intensive_in_job_review_every=timedelta(seconds=1),
    review_grace=timedelta(seconds=1),
    request_response_within=timedelta(seconds=1),
)
"""Every timer within a second or two, on the real server."""


def born_years_ago(years: int, *, days_before_birthday: int = 0) -> date:
    birthday = TODAY.replace(year=TODAY.year - years)
    return birthday + timedelta(days=days_before_birthday)


def spe(prescriber: Prescriber = Prescriber.FRANCE_TRAVAIL, on: date = TODAY) -> SpePrescription:
    return SpePrescription(prescriber=prescriber, prescriber_reference="FT-77-12345", prescription_date=on)


async def eventually(check: Callable[[], Awaitable[T | None]], *, seconds: float = 10) -> T:
    """Poll `check` until it returns something truthy: timers and visibility are asynchronous."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not true after {seconds} s")
        await asyncio.sleep(0.1)
