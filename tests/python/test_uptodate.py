"""An --append with nothing to build (liftlab.uptodate): nothing to land and the last
build's fingerprint leave the published warehouse as it is; anything else builds."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import copy_of_project

from liftlab.cli import main
from liftlab.commands.build import build
from liftlab.landing import land
from liftlab.uptodate import PROJECT_INPUTS, build_fingerprint, nothing_to_land


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("uptodate_export")
    out = folder / "export.jsonl.gz"
    args = ["generate", "--sets", "300", "--lifters", "8", "--seed", "5", "--out", str(out)]
    assert main([*args, "--quiet"]) == 0
    return out


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A copy of what the fingerprint reads from the dbt project."""
    return copy_of_project(tmp_path, PROJECT_INPUTS)


def test_the_fingerprint_follows_the_project_the_vars_their_files_and_the_salt(project, tmp_path):
    promoted = tmp_path / "promoted.json"
    promoted.write_text("{}")
    settings = {"clustering_promoted_file": str(promoted)}
    before = build_fingerprint(project, settings, skip_quality=False, salt="one")
    assert build_fingerprint(project, settings, skip_quality=False, salt="one") == before
    assert build_fingerprint(project, settings, skip_quality=False, salt="two") != before
    assert build_fingerprint(project, settings, skip_quality=True, salt="one") != before
    assert build_fingerprint(project, {}, skip_quality=False, salt="one") != before
    promoted.write_text('{"experiment": "study"}')  # the file a var names, not its name
    changed_file = build_fingerprint(project, settings, skip_quality=False, salt="one")
    assert changed_file != before
    mart = next((project / "models").rglob("fct_sets.sql"))
    mart.write_text(mart.read_text() + "\n-- changed\n")
    changed_model = build_fingerprint(project, settings, skip_quality=False, salt="one")
    assert changed_model not in (before, changed_file)
    test = next((project / "tests" / "dbt").glob("*.sql"))
    test.write_text(test.read_text() + "\n-- changed\n")
    assert build_fingerprint(project, settings, skip_quality=False, salt="one") != changed_model


def test_nothing_to_land_only_when_every_input_is_in_the_ledger(export, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(export, folder / "a.jsonl.gz")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert not nothing_to_land(con, str(folder))  # no raw layer yet
        land(str(folder), con)
        assert nothing_to_land(con, str(folder))
        with gzip.open(folder / "b.jsonl.gz", "wt") as out:  # a new file
            out.write("{}\n")
        assert not nothing_to_land(con, str(folder))
        land(str(folder), con)
        assert nothing_to_land(con, str(folder))
        with gzip.open(folder / "b.jsonl.gz", "wt") as out:  # changed in place
            out.write("{}\n{}\n")
        assert not nothing_to_land(con, str(folder))
        (folder / "b.jsonl.gz").unlink()  # an --append keeps what it does not name
        assert nothing_to_land(con, str(folder))


def _builds(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql("select build_id, build_fingerprint from build_log order by 1")
        return [r[0] for r in rows.fetchall() if r[1]]


def test_an_unchanged_append_builds_nothing_and_anything_else_builds(export, tmp_path, capsys):
    warehouse = tmp_path / "liftlab.duckdb"
    build(str(export), warehouse, quiet=True)
    first = _builds(warehouse)
    assert len(first) == 1
    inode = os.stat(warehouse).st_ino
    capsys.readouterr()
    build(str(export), warehouse, append=True, quiet=True)
    said = capsys.readouterr().out
    assert "nothing to build" in said and first[0] in said and "up to date" in said
    assert os.stat(warehouse).st_ino == inode  # not even published again
    assert _builds(warehouse) == first
    # another setting (the checkpoint skipped) builds, and records its own fingerprint
    build(str(export), warehouse, append=True, quiet=True, skip_quality=True)
    assert len(_builds(warehouse)) == 2
    # without --append a build always builds
    build(str(export), warehouse, quiet=True, skip_quality=True)
    assert len(_builds(warehouse)) == 3
