"""Every id that names the directory is checked before anything is written, with close matches;
SIRET numbers pass their Luhn keys; a rule the registry enforces comes back as one sentence
naming the record already there, never a database error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum.fr import siret as siret_number

from activities.registry.directory import EmployerEntry, ReferentEntry, StructureEntry, UnknownReference, require_known, upsert
from activities.registry.journal import Registry
from activities.registry.schema import Beneficiary, Seat
from starter.exits import EXIT_REFUSED, EXIT_SOME_ROWS_FAILED, EXIT_USAGE, explain
from starter.scripted import made_up_siret, new_case_id
from tests.cli_runner import Ea
from tests.harness import registry_at
from workflows.case.model import AssignReferent, OpenCase

IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True)
KNOWN = ("struct-75", "ref-12", "emp-4412")


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    registry = registry_at(tmp_path_factory.mktemp("directory"))
    upsert(registry.engine, StructureEntry(id="struct-75", name="Plateforme de Paris"))
    upsert(registry.engine, ReferentEntry(id="ref-12", name="Karim Benali", structure_id="struct-75"))
    upsert(registry.engine, EmployerEntry(id="emp-4412", name="Boulangerie Aubry", siret="12345678200010"))
    return registry


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(referent=IDS, structure=IDS)
def test_an_id_not_in_the_directory_is_refused_by_name(directory: Registry, referent: str, structure: str) -> None:
    opening = OpenCase(case_id="C1", structure_id=structure, birth_date="1990-01-01", referent_id=referent)
    unknown = {f"référent {referent}": referent not in KNOWN, f"structure {structure}": structure not in KNOWN}
    if not any(unknown.values()):
        require_known(directory.engine, opening)
        return
    with pytest.raises(UnknownReference) as refused:
        require_known(directory.engine, opening)
    for named, missing in unknown.items():
        assert (f"{named} is not in the directory" in str(refused.value)) == missing


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(position=st.integers(min_value=0, max_value=5), letter=st.sampled_from("0123456789abcxyz"))
def test_a_typo_gets_the_close_matches(directory: Registry, position: int, letter: str) -> None:
    typo = "ref-12"[:position] + letter + "ref-12"[position + 1 :]
    if typo == "ref-12":
        return
    with pytest.raises(UnknownReference, match=r"did you mean ref-12\?"):
        require_known(directory.engine, AssignReferent(referent_id=typo))


def test_a_referent_belongs_to_a_structure_of_the_directory(directory: Registry) -> None:
    with pytest.raises(UnknownReference, match="structure struct-57 is not in the directory: did you mean struct-75"):
        upsert(directory.engine, ReferentEntry(id="ref-13", name="Inès Roche", structure_id="struct-57"))


@given(employer_id=IDS)
def test_made_up_sirets_pass_their_keys(employer_id: str) -> None:
    assert siret_number.is_valid(made_up_siret(employer_id))


@given(position=st.integers(min_value=0, max_value=13), shift=st.integers(min_value=1, max_value=9))
def test_a_siret_with_one_wrong_digit_is_refused(position: int, shift: int) -> None:
    valid = made_up_siret("emp-4412")
    digit = str((int(valid[position]) + shift) % 10)
    with pytest.raises(ValidationError, match="not a valid SIRET"):
        EmployerEntry(id="emp-x", name="Erreur de frappe", siret=valid[:position] + digit + valid[position + 1 :])


def test_the_readmes_sirets_pass_their_keys(repo_root: Path) -> None:
    sirets = re.findall(r"--siret (\d+)", (repo_root / "README.md").read_text(encoding="utf-8"))
    assert sirets and all(siret_number.is_valid(s) for s in sirets)


def test_a_database_rule_nobody_foresaw_is_one_line_without_values() -> None:
    error = IntegrityError("INSERT ...", {"siret": "12345678200010"},
                           Exception('duplicate key value violates unique constraint "organisations_siret_key"\nDETAIL: Key (siret)=(12345678200010)'))  # fmt: skip
    message, code = explain(error)
    assert code == EXIT_REFUSED and "organisations_siret_key" in message
    assert "\n" not in message and "12345678200010" not in message


async def test_a_siret_already_held_names_its_employer(cli: Ea) -> None:
    siret = made_up_siret(new_case_id())
    await cli.ok("directory", "employer", "emp-first", "--name", "Boulangerie Aubry", "--siret", siret)
    again = await cli("directory", "employer", "emp-second", "--name", "Aubry & fils", "--siret", siret)
    assert again.exit_code == EXIT_REFUSED
    assert again.stderr == f"ea: refused: SIRET {siret} is already the employer emp-first (Boulangerie Aubry): " \
                           "one SIRET names one employer; use emp-first, or correct the number\n"  # fmt: skip
    wrong = await cli("directory", "employer", "emp-third", "--name", "Faute", "--siret", "12345678900012")
    assert wrong.exit_code == EXIT_USAGE and "not a valid SIRET" in wrong.stderr


async def test_a_phantom_referent_never_reaches_the_registry_nor_temporal(cli: Ea, registry: Registry) -> None:
    await cli.known(structures=("struct-edge",), referents=("ref-edge",), employers=("emp-edge",))
    with Session(registry.engine) as session:
        people_before = session.scalar(select(func.count()).select_from(Beneficiary))
    case = new_case_id()
    opening = ["open", "--case-id", case, "--structure", "struct-edge", "--birth-date", "1990-01-01", "--situation", "rqth",
               "--first-name", "Élodie", "--last-name", f"Dupont {case}"]  # fmt: skip
    phantom = await cli(*opening, "--referent", "ref-egde")
    assert phantom.exit_code == EXIT_USAGE
    assert "référent ref-egde is not in the directory: did you mean ref-edge" in phantom.stderr
    assert (await cli("status", case)).exit_code != 0, "no run was started"
    with Session(registry.engine) as session:
        assert session.scalar(select(func.count()).select_from(Beneficiary)) == people_before, "nobody was registered"
        assert session.get(Seat, case) is None
    assert "ref-egde" not in [r["referent_id"] for r in (await cli.json("referent", "list"))["referents"]]

    await cli.ok(*opening, "--referent", "ref-edge")
    for step in (["assign", case, "ref-egde"], ["hire", case, "--employer", "emp-egde", "--contract", "cdi"],
                 ["contact", case, "--kind", "employer", "--employer", "emp-egde"]):  # fmt: skip
        refused = await cli(*step)
        assert refused.exit_code == EXIT_USAGE and "is not in the directory: did you mean" in refused.stderr, step
    assert (await cli.json("status", case))["referent_id"] == "ref-edge"


async def test_an_import_row_naming_a_phantom_fails_alone(cli: Ea, tmp_path: Path) -> None:
    await cli.known(structures=("struct-csv",))
    good, phantom = new_case_id(), new_case_id()
    file = tmp_path / "cases.csv"
    file.write_text("case_id,structure_id,birth_date,first_name,last_name,referent_id\n"
                    f"{good},struct-csv,1990-01-01,Ana,Morel {good},\n"
                    f"{phantom},struct-csv,1990-01-01,Léa,Morel {phantom},ref-nobody\n"
                    f"{new_case_id()},struct-csv,2190-01-01,Léo,Morel,\n", encoding="utf-8")  # fmt: skip
    result = await cli("import", str(file))
    assert result.exit_code == EXIT_SOME_ROWS_FAILED
    assert "1 opened" in result.stdout
    assert f"line 3 (case {phantom}): référent ref-nobody is not in the directory" in result.stderr
    assert "line 4" in result.stderr and "cannot be true" in result.stderr
