"""`ea`: the coordinators' command line for emploi accompagné cases.

The commands live in starter/commands/ (reading, lifecycle, records, reports, operations),
imported only when one runs (starter/lazy.py); exit codes in starter/exits.py.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from starter.command_index import INDEX
from starter.lazy import LazyGroup
from starter.settings import DEFAULT_TASK_QUEUE, DEFAULT_WAIT, ClusterAccess, Connection

if TYPE_CHECKING:
    from workflows.case.model import Actor

EXIT_UNEXPECTED = 1  # starter/exits.py's, without importing what it needs to explain errors


@click.group(cls=LazyGroup, index=INDEX, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--address", envvar="TEMPORAL_ADDRESS", default="localhost:7233", show_default=True,
              help="Temporal server (env TEMPORAL_ADDRESS).")  # fmt: skip
@click.option("--namespace", envvar="TEMPORAL_NAMESPACE", default="default", show_default=True,
              help="Temporal namespace (env TEMPORAL_NAMESPACE).")  # fmt: skip
@click.option("--task-queue", envvar="EA_TASK_QUEUE", default=DEFAULT_TASK_QUEUE, show_default=True,
              help="Task queue of the workers (env EA_TASK_QUEUE).")  # fmt: skip
@click.option("--wait", envvar="EA_WAIT", default=DEFAULT_WAIT, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Seconds to wait for a worker's answer before saying none came (env EA_WAIT).")  # fmt: skip
@click.option("--actor", envvar="EA_ACTOR", callback=lambda _c, _p, v: _actor(v),
              help="Who acts, as role:id (coordinator, referent, employer, beneficiary, legal_representative), e.g. referent:ref-12. "
                   "Recorded in the audit journal (env EA_ACTOR).")  # fmt: skip
@click.version_option(package_name="emploi-accompagne")
@click.pass_context
def ea(ctx: click.Context, address: str, namespace: str, task_queue: str, wait: float, actor: Actor | None) -> None:
    """Open and drive emploi accompagné cases.

    \b
    Example, from opening to support:
      ea open --structure struct-75 --birth-date 1990-05-17 --situation rqth
      ea consent C1A2B3
      ea prescribe C1A2B3 --by cdaph --reference CDAPH-2026-042
      ea sign C1A2B3 --party beneficiary ; ea sign C1A2B3 --party structure
      ea status C1A2B3
    """
    ctx.obj = Connection(address=address, namespace=namespace, task_queue=task_queue, wait=wait, access=ClusterAccess.from_env())
    ctx.meta["actor"] = actor


def _actor(text: str | None) -> Actor | None:
    from starter.options import parse_actor  # the case model: not for `ea --help`

    return parse_actor(text)


def main() -> None:
    code = 0
    try:
        ea()
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else EXIT_UNEXPECTED)
    except Exception as error:  # the last resort: one line, never a traceback
        click.echo(f"ea: unexpected error: {error}", err=True)
        code = EXIT_UNEXPECTED
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown: the Temporal client's native threads can abort it
    # (temporalio/sdk-python#300). All work is finished and flushed by now.
    os._exit(code)
