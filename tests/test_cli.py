"""The coordinators' CLI against the real server: the lifecycle step by step, and every exit code."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy.orm import Session

from activities.registry.journal import Registry
from activities.registry.schema import Beneficiary, Case
from starter.cli import ea
from starter.exits import EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_USAGE
from tests.builders import eventually
from starter.scripted import Cases, new_case_id
from tests.cli_runner import Ea
from workflows.case.model import Phase, Situation
from starter.readme import README, steps_block
from workflows.case.steps import BY_STEP


async def test_a_coordinator_runs_a_whole_case_from_the_cli(cli: Ea) -> None:
    case = new_case_id()
    await cli.known(structures=("struct-13",), referents=("ref-7", "ref-8"), employers=("emp-9",))
    opened = await cli.json("open", "--case-id", case, "--structure", "struct-13", "--birth-date", "1999-02-28",
                            "--situation", "rqth", "--referent", "ref-7", "--first-name", "Noé", "--last-name", case)  # fmt: skip
    assert opened["phase"] == "consent"
    await cli.ok("representative", "rep-7", "--case", case, "--first-name", "Jeanne", "--last-name", "Morel", "--measure", "tutelle")
    assert "awaiting prescription" in await cli.ok("--actor", "legal_representative:rep-7", "consent", case)
    await cli.ok("prescribe", case, "--by", "mission_locale", "--reference", "ML-33-0042")
    await cli.ok("--actor", "legal_representative:rep-7", "sign", case, "--party", "beneficiary")
    assert "evaluation" in await cli.ok("sign", case, "--party", "structure")
    await cli.ok("evaluation", case)
    assert "job search" in await cli.ok("project", case)
    await cli.ok("cadence", case, "--job-search", "2w", "--in-job", "60d")
    assert "amendment 1 awaits" in " ".join((await cli.ok("status", case)).replace("│", " ").split())
    await cli.ok("--actor", "legal_representative:rep-7", "sign-amendment", case, "--party", "beneficiary")
    await cli.ok("sign-amendment", case, "--party", "structure", "--number", "1")
    assert "version 2 in force" in await cli.ok("status", case)
    await cli.ok("review", case)
    trained = await cli.json("training", case, "--kind", "bilan_de_competences", "--title", "Bilan CIBC 33", "--funder", "agefiph")
    assert [(t["title"], t["status"], t["funder"]) for t in trained["trainings"]] == [("Bilan CIBC 33", "planned", "agefiph")]
    hired = await cli.json("hire", case, "--employer", "emp-9", "--contract", "cdd", "--hours", "20")
    assert hired["phase"] == "in_job_support" and hired["employer_id"] == "emp-9"
    assert "request req-1 recorded" in await cli.ok("request", case, "--employer", "emp-9", "--kind", "training_need")
    await cli.ok("directory", "partner", "cap-33", "--name", "Cap emploi Gironde", "--kind", "spe_counsellor")
    assert "partner" in await cli.fails("respond", case, "req-1", "--outcome", "referred_to_partner")
    await cli.ok("respond", case, "req-1", "--outcome", "referred_to_partner", "--partner", "cap-33")
    await cli.ok("assign", case, "ref-8")
    await cli.ok("change-of-post", case)
    await cli.ok("evaluation", case)
    assert "in-job support" in await cli.ok("project", case)
    assert "job search" in await cli.ok("job-loss", case)
    status = await cli.json("status", case)
    assert status["referent_id"] == "ref-8" and status["review"]["held"] == 1
    assert status["settings"]["intensive_in_job_review_every"] == "P60D", "the cadence of the case's intensity, intensive at first"
    table = await cli.ok("status", case)
    assert "ref-8" in table and "mission_locale ML-33-0042" in table
    history = await cli.json("history", case)
    assert [e["event"]["type"] for e in history["events"]][:4] == ["case_opened", "name_representative", "give_consent", "record_prescription"]
    assert "closed" in await cli.ok("close", case, "--reason", "goals_reached")
    assert (await cli.json("reopen", case))["phase"] == "consent"
    assert "closed" in await cli.ok("--actor", "legal_representative:rep-7", "withdraw", case)


async def test_open_from_a_yaml_file(cli: Ea, tmp_path: Path) -> None:
    case = new_case_id()
    await cli.known(structures=("struct-69",), employers=("emp-3",))
    file = tmp_path / "case.yaml"
    file.write_text(f"case_id: {case}\nstructure_id: struct-69\nbirth_date: 1985-11-02\nsituation: employee\nemployer_id: emp-3\n")
    opened = await cli.json("open", "--from-file", str(file))
    assert opened["case_id"] == case and opened["employer_id"] == "emp-3"


async def test_a_malformed_file_names_the_field(cli: Ea, tmp_path: Path) -> None:
    file = tmp_path / "case.json"
    file.write_text('{"structure_id": "struct-69", "birth_date": "02/11/1985"}')
    result = await cli("open", "--from-file", str(file))
    assert result.exit_code == EXIT_USAGE
    assert "birth_date" in result.stderr and "Traceback" not in result.output
    file.write_text("- just\n- a list\n")
    result = await cli("open", "--from-file", str(file))
    assert result.exit_code == EXIT_USAGE and "expected a mapping" in result.stderr


async def test_exit_codes_tell_what_went_wrong(cli: Ea) -> None:
    missing = await cli("status", "no-such-case")
    assert (missing.exit_code, missing.stderr.strip()) == (EXIT_NOT_FOUND, "ea: no case no-such-case")

    case = new_case_id()
    await cli.known(structures=("s1",), employers=("emp-1",))
    await cli.ok("open", "--case-id", case, "--structure", "s1", "--birth-date", "1990-01-01", "--situation", "esat")
    refused = await cli("hire", case, "--employer", "emp-1", "--contract", "cdi")
    assert refused.exit_code == EXIT_REFUSED
    assert "`ea hire` is not possible in phase consent" in refused.stderr
    twice = await cli("open", "--case-id", case, "--structure", "s1", "--birth-date", "1990-01-01")
    assert twice.exit_code == EXIT_REFUSED and "already exists" in twice.stderr

    usage = await cli("sign", case, "--party", "notary")
    assert usage.exit_code == EXIT_USAGE
    invalid = await cli("open", "--structure", "Jean Dupont", "--birth-date", "1990-01-01")
    assert invalid.exit_code == EXIT_USAGE and "structure_id" in invalid.stderr


async def test_a_change_without_an_actor_is_refused_before_anything_is_sent(cli: Ea) -> None:
    anonymous = Ea(cli.prefix[1], cli.prefix[3])
    anonymous.env.pop("EA_ACTOR")
    for args in (["consent", "any-case"], ["open", "--structure", "s", "--birth-date", "1990-01-01"], ["reopen", "x"]):
        result = await anonymous(*args)
        assert result.exit_code == EXIT_USAGE and "who acts? give --actor role:id" in result.stderr
    bad = await cli("--actor", "chef:boss", "consent", "any-case")
    assert bad.exit_code == EXIT_USAGE and "is not role:id" in bad.stderr


async def test_an_unreachable_server_says_where_and_what_to_do() -> None:
    result = await Ea("127.0.0.1:1", "q")("status", "any")
    assert result.exit_code == EXIT_UNREACHABLE
    assert "127.0.0.1:1" in result.stderr and "make run" in result.stderr


def all_commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        found.append(((*path, name), command))
        if isinstance(command, click.Group):
            found += all_commands(command, (*path, name))
    return found


async def test_every_command_has_help_with_an_example(cli: Ea) -> None:
    commands = all_commands(ea)
    assert len(commands) > 30
    for path, command in commands:
        result = await cli(*path, "--help")
        assert result.exit_code == 0, path
        assert "Example" in result.stdout, f"ea {' '.join(path)} --help shows no example"
        assert command.help, path


async def test_the_transition_table_is_printable(cli: Ea) -> None:
    rows = {row["command"]: row for row in (await cli.json("steps"))["steps"]}
    assert rows["consent"]["phases"] == ["consent"] and rows["consent"]["roles"] == ["beneficiary", "legal_representative"]
    assert rows["prescribe"]["document"] == "convention" and "employer" not in rows["prescribe"]["roles"]
    assert len(rows) == len(BY_STEP) + 1 and rows["reopen"]["phases"] == ["closed"], "every update, and reopening"


async def test_the_readme_carries_the_table_the_declarations_give(cli: Ea) -> None:
    block = steps_block(README.read_text(encoding="utf-8"))
    assert block == await cli.ok("steps", "--markdown"), "the README's table of steps is stale: `make readme` writes it again"


async def test_the_person_is_registered_and_the_case_carries_only_an_opaque_id(cli: Ea, registry: Registry, cases: Cases) -> None:
    case = new_case_id()
    await cli.ok("directory", "structure", "struct-id", "--name", "Plateforme EA de l'Hérault", "--department", "34")
    await cli.ok("directory", "referent", "ref-3", "--name", "Inès Roche", "--email", "ines.roche@ea34.fr")
    args = ["--structure", "struct-id", "--referent", "ref-3", "--first-name", "Anaïs", "--last-name", "Lefèvre", "--birth-date", "2001-09-30",
            "--email", "anais.l@example.fr", "--situation", "rqth"]  # fmt: skip
    opened = await cli.json("open", "--case-id", case, *args)
    assert "Lefèvre" not in json.dumps(opened) and opened["beneficiary_id"].startswith("B")
    await cli.ok("--actor", f"beneficiary:{opened['beneficiary_id']}", "consent", case)
    await cli.ok("close", case, "--reason", "other")
    await cases.final_state(case)

    with Session(registry.engine) as session:
        person = session.get(Beneficiary, opened["beneficiary_id"])
        assert person is not None and (person.first_name, person.email) == ("Anaïs", "anais.l@example.fr")
        assert session.get(Case, case).beneficiary_id == person.id
    journal = registry.journal(case)
    assert [str(e.actor) for e in journal] == ["coordinator:coord-test", f"beneficiary:{opened['beneficiary_id']}", "coordinator:coord-test"]

    again = await cli("open", *args)
    assert again.exit_code == EXIT_REFUSED
    assert f"already registered as {person.id} (cases: {case})" in again.stderr and f"ea reopen {case}" in again.stderr


async def test_documents_are_listed_and_exported(cli: Ea, cases: Cases, tmp_path: Path) -> None:
    case = await cases.open(Situation.RQTH)
    await cases.walk_to(case, Phase.CONVENTION)
    listing = await cli.json("documents", "list", case)

    async def convention_listed() -> list:
        return [d for d in (await cli.json("documents", "list", case))["documents"] if d["template"] == "convention"]

    [convention] = await eventually(convention_listed)
    assert convention["formats"] == ["html", "md", "pdf"] and isinstance(listing["documents"], list)
    markdown = await cli.ok("documents", "export", case, str(convention["id"]), "--format", "md")
    assert markdown.startswith("Plateforme emploi accompagné struct-75") and "# Convention individuelle" in markdown
    target = tmp_path / "convention.pdf"
    await cli.ok("documents", "export", case, str(convention["id"]), "--format", "pdf", "--output", str(target))
    assert target.read_bytes().startswith(b"%PDF")
    assert "Convention" in await cli.ok("documents", "list", case)
    missing = await cli("documents", "export", case, "99999")
    assert missing.exit_code == EXIT_NOT_FOUND and "ea documents list" in missing.stderr
    to_terminal = await cli("documents", "export", case, str(convention["id"]), "--format", "pdf")
    assert to_terminal.exit_code == EXIT_USAGE and "--output" in to_terminal.stderr


async def test_who_asked_for_the_support_is_recorded_at_opening(cli: Ea) -> None:
    case = new_case_id()
    await cli.known(structures=("struct-13",), employers=("emp-asks",))
    opened = await cli.json("open", "--case-id", case, "--structure", "struct-13", "--birth-date", "1984-06-01",
                            "--situation", "employee", "--employer", "emp-asks", "--asked-by", "employer")  # fmt: skip
    assert opened["asked_by"] == "employer"
    assert [line.split()[-2] for line in (await cli.ok("status", case)).splitlines() if "asked by" in line] == ["employer"]
    default = await cli.json("open", "--structure", "struct-13", "--birth-date", "1984-06-01", "--situation", "rqth")
    assert default["asked_by"] == "person"
    no_employer = await cli("open", "--structure", "struct-13", "--birth-date", "1984-06-01", "--situation", "rqth",
                            "--asked-by", "employer")  # fmt: skip
    assert no_employer.exit_code == 2 and "an employer asks for the support of a worker in a job" in no_employer.stderr


async def test_a_legal_representative_acts_only_once_recorded_and_only_for_the_person_they_represent(cli: Ea) -> None:
    ours, theirs = new_case_id(), new_case_id()
    for case in (ours, theirs):
        await cli.ok("open", "--case-id", case, "--structure", "struct-13", "--birth-date", "1979-09-09", "--situation", "rqth",
                     "--first-name", "Ida", "--last-name", case)  # fmt: skip
    unknown = await cli("--actor", "legal_representative:rep-nobody", "consent", ours)
    assert unknown.exit_code == 4 and "rep-nobody is not a legal representative in the registry" in unknown.stderr
    recorded = await cli.ok("representative", "rep-ida", "--case", theirs, "--first-name", "Luc", "--last-name", "Arnaud",
                            "--measure", "habilitation_familiale")  # fmt: skip
    assert "rep-ida: legal representative of B" in recorded
    other = await cli("--actor", "legal_representative:rep-ida", "consent", ours)
    assert other.exit_code == 4 and "not the legal representative of the person this case is about" in other.stderr
    assert "awaiting prescription" in await cli.ok("--actor", "legal_representative:rep-ida", "consent", theirs)
    whom = await cli("representative", "rep-x", "--first-name", "A", "--last-name", "B", "--measure", "tutelle")
    assert whom.exit_code == 2 and "--person ID or --case ID" in whom.stderr
