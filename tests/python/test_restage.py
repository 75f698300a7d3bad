"""When an --append stages every landed file again (liftlab.restage): the fingerprint of
the staging code, the project's vars and the salt, and the last build's record of it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import copy_of_project

from liftlab.publish import BUILD_LOG_DDL, BUILD_LOG_TABLE
from liftlab.restage import (
    STAGING_INPUTS,
    last_fingerprint,
    restage_needed,
    staging_fingerprint,
)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A copy of what the fingerprint reads from the dbt project."""
    return copy_of_project(tmp_path, STAGING_INPUTS)


def test_the_fingerprint_follows_the_staging_code_the_vars_and_the_salt(project):
    before = staging_fingerprint(project, salt="one")
    assert staging_fingerprint(project, salt="one") == before
    assert staging_fingerprint(project, salt="two") != before
    assert "one" not in before  # a digest, never the salt
    model = project / "models" / "staging" / "openbarbell" / "stg_openbarbell__reps.sql"
    model.write_text(model.read_text() + "\n-- changed\n")
    changed_code = staging_fingerprint(project, salt="one")
    assert changed_code != before
    vars_file = project / "dbt_project.yml"
    vars_file.write_text(vars_file.read_text() + "\n# changed\n")
    assert staging_fingerprint(project, salt="one") not in (before, changed_code)


def test_an_append_restages_unless_the_last_build_recorded_the_same():
    assert not restage_needed("abc", "abc")
    assert restage_needed("abc", "abd")
    assert restage_needed(None, "abc")  # a warehouse from before the fingerprint


def test_the_last_builds_fingerprint_is_read_from_build_log(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert last_fingerprint(con) is None  # no build_log
        con.execute(
            f"create table main.{BUILD_LOG_TABLE} (build_id varchar, finished_at timestamp)"
        )
        con.execute(f"insert into main.{BUILD_LOG_TABLE} values ('b0', '2026-11-30')")
        assert last_fingerprint(con) is None  # a build_log from before the column
        con.execute(BUILD_LOG_DDL)  # adds the column, as every build does
        con.execute(
            f"insert into main.{BUILD_LOG_TABLE} (build_id, finished_at, staging_fingerprint)"
            " values ('b1', '2026-12-01', 'old'), ('b2', '2026-12-02', 'new')"
        )
        assert last_fingerprint(con) == "new"
