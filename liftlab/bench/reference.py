"""The plain-DuckDB reference of the benchmark: what the engine alone takes to flatten an
export. Run as a process (``python -m liftlab.bench.reference EXPORT DATABASE``) so that
it is measured like liftlab's stages and the pandas baseline, on the same file.

One SQL script, no liftlab code: read the (gzipped) JSON Lines as whole lines with their
line numbers, validate each (``json_valid``), parse every valid document's set fields into
typed columns, and every rep of its ``reps`` array with its device array parsed to
``DOUBLE[]`` (the app's strings, numbers or nulls), into two tables. No personal field
(user id, device MAC) is read. It is what landing,
staging and the rep decoding of liftlab do, without the accounting (reasons, quarantine,
revisions, personal-data masking, the version-specific layout): a floor, not an
equivalent. Prints a JSON line of row counts and seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

LINES_SQL = """
create or replace table reference_lines as
select
    row_number() over () as line_number,
    line,
    json_valid(line) as is_valid
from read_csv(
    ?,
    columns = {'line': 'VARCHAR'},
    header = false,
    delim = chr(1),
    quote = '',
    escape = '',
    auto_detect = false,
    max_line_size = 100000000,
    new_line = '\\n'
)
"""

# the fields read, with their types (a number read as VARCHAR keeps its text; a value of
# another shape becomes null): one pass of DuckDB's JSON reader per document
DOCUMENT_TYPE = json.dumps(
    {
        "setID": "VARCHAR",
        "workoutID": "VARCHAR",
        "exercise": "VARCHAR",
        "weight": "VARCHAR",
        "metric": "VARCHAR",
        "rpe": "VARCHAR",
        "setNumber": "DOUBLE",
        "deleted": "BOOLEAN",
        "initialStartTime": "VARCHAR",
        "reps": [
            {"isValid": "BOOLEAN", "removed": "BOOLEAN", "time": "VARCHAR", "data": ["VARCHAR"]}
        ],
    }
)

DOCUMENTS_SQL = """
create or replace temp table reference_documents as
select line_number, json_transform(line, ?) as doc
from reference_lines
where is_valid
"""

SETS_SQL = """
create or replace table reference_sets as
select
    line_number,
    doc.setID as set_id,
    doc.workoutID as workout_id,
    doc.exercise as exercise,
    try_cast(doc.weight as double) as weight,
    doc.metric as metric,
    try_cast(doc.rpe as double) as rpe,
    doc.setNumber as set_number,
    coalesce(doc.deleted, false) as is_deleted,
    try_cast(doc.initialStartTime as timestamp) as started_at,
    len(doc.reps) as rep_count
from reference_documents
"""

REPS_SQL = """
create or replace table reference_reps as
with

reps as (
    select
        line_number,
        doc.setID as set_id,
        unnest(doc.reps) as rep,
        generate_subscripts(doc.reps, 1) as rep_index
    from reference_documents
)

select
    line_number,
    set_id,
    rep_index,
    rep.isValid as is_valid,
    rep.removed as is_removed,
    try_cast(rep.time as timestamp) as completed_at,
    list_transform(rep.data, lambda value: try_cast(value as double)) as device_values
from reps
"""


def flatten(export: Path, database: Path) -> dict[str, float | int]:
    """Run the script on ``export`` into ``database``; row counts and seconds."""
    started = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        con.execute(LINES_SQL, [str(export)])
        read = time.perf_counter()
        con.execute(DOCUMENTS_SQL, [DOCUMENT_TYPE])
        con.execute(SETS_SQL)
        con.execute(REPS_SQL)
        ((lines, valid),) = con.sql(
            "select count(*), count(*) filter (where is_valid) from reference_lines"
        ).fetchall()
        sets = con.sql("select count(*) from reference_sets").fetchall()[0][0]
        reps = con.sql("select count(*) from reference_reps").fetchall()[0][0]
    done = time.perf_counter()
    return {
        "lines": int(lines),
        "valid_lines": int(valid),
        "sets": int(sets),
        "reps": int(reps),
        "read_s": round(read - started, 3),
        "parse_s": round(done - read, 3),
        "total_s": round(done - started, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path, help="a JSON Lines export (.jsonl or .jsonl.gz)")
    parser.add_argument("database", type=Path, help="the DuckDB file to write (replaced)")
    parser.add_argument("--json-out", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    for path in args.database.parent.glob(args.database.name + "*"):
        path.unlink()
    figures = flatten(args.export, args.database)
    print(json.dumps(figures))
    if args.json_out:
        args.json_out.write_text(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
