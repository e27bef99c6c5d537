"""Files with personal data or keys are the owner's only (0600, in a 0700 var/), whatever the
umask, from their first byte: the SQLite registry with its WAL and shared-memory files, the key
file, the codec token; and a var/ left world-readable by an older version is closed again."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from workflows.private_files import PRIVATE_DIR, PRIVATE_FILE

REPO = Path(__file__).resolve().parent.parent

# What `make run`'s processes do at start, in a process of its own so its umask is the usual
# one: the registry migrated and written while open (so the WAL and -shm exist), a key, a token.
SCRIPT = """
import json, os, sys
from pathlib import Path
from sqlalchemy import text
from activities.registry.migrate import migrated_engine
from starter.codec_server import codec_token
from workflows.encryption import keyring_from_env
engine = migrated_engine()
with engine.begin() as connection:
    connection.execute(text("CREATE TABLE IF NOT EXISTS probe (x TEXT)"))
    connection.execute(text("INSERT INTO probe VALUES ('Élodie Dupont')"))
keyring_from_env(); codec_token()
with engine.connect():
    var = Path(os.environ["EA_VAR_DIR"])
    print(json.dumps({p.name: oct(p.stat().st_mode & 0o777) for p in [var, *var.iterdir()]}))
"""


def run_start(var: Path, umask: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("EA_ENCRYPTION_KEYS", "EA_KEYS_FILE", "EA_CODEC_TOKEN", "DATABASE_URL")}
    env["EA_VAR_DIR"] = str(var)
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
                          preexec_fn=lambda: os.umask(umask), check=True)  # fmt: skip
    return json.loads(done.stdout)


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o000])
def test_every_file_at_rest_is_the_owners_only(tmp_path: Path, umask: int) -> None:
    var = tmp_path / "var"
    modes = run_start(var, umask)
    assert modes.pop("var") == oct(PRIVATE_DIR)
    assert {"registry.db", "registry.db-wal", "registry.db-shm", "keys.json", "codec-token"} <= set(modes)
    assert set(modes.values()) == {oct(PRIVATE_FILE)}, modes


def test_a_var_dir_left_open_by_an_older_version_is_closed(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    (var / "registry.db").touch(mode=0o644)
    (var / "registry.db").chmod(0o644)
    var.chmod(0o755)
    modes = run_start(var, 0o022)
    assert modes["var"] == oct(PRIVATE_DIR) and modes["registry.db"] == oct(PRIVATE_FILE)


def test_a_key_file_elsewhere_leaves_its_directory_alone(tmp_path: Path) -> None:
    """EA_KEYS_FILE may sit in a shared directory: the file is closed, the directory untouched."""
    from workflows.encryption import Keyring

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    Keyring.generate().save(shared / "keys.json")
    assert stat.S_IMODE((shared / "keys.json").stat().st_mode) == PRIVATE_FILE
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
