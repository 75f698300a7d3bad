"""`liftlab run`: the README's main job. Generate the default dataset when no input is
given (and it is not there yet), build the warehouse over it, and print a summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from liftlab.warehouse import project_dir, warehouse_path

DEFAULT_DATA = "data/generated/openbarbell_default.jsonl.gz"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        help=f"input export(s); default: the generated default dataset ({DEFAULT_DATA})",
    )
    parser.add_argument("--warehouse", help="DuckDB file (default: warehouse/liftlab.duckdb)")
    parser.add_argument(
        "--ground-truth",
        metavar="FILE",
        help="the generator's truth_lifters.parquet of --data, for ARI in cluster_runs "
        "(default: the default dataset's, which this command generated; none for --data)",
    )


def run(args: argparse.Namespace) -> int:
    from liftlab.commands.build import run_build

    warehouse = warehouse_path(args.warehouse)
    data = args.data or str(ensure_default_data())
    truth = args.ground_truth or (None if args.data else default_ground_truth(Path(data)))
    code = run_build("liftlab run", data, warehouse, quiet=True, ground_truth=truth)
    if code == 0:
        print(summary(warehouse))
    return code


def ensure_default_data() -> Path:
    """The default dataset, generated (at the study's scale) on first use."""
    from liftlab.cli import main

    path = project_dir() / DEFAULT_DATA
    if not path.exists():
        print(f"generating the default dataset into {path} ...")
        code = main(["generate", "--out", str(path)])
        if code:
            raise SystemExit(code)
    return path


def default_ground_truth(default_data: Path) -> Path | None:
    """The truth file `liftlab generate` wrote with the default dataset (named by the
    generator's own rule: this command made both), if it is there."""
    from liftlab.generator.writer import sidecar_paths

    path = sidecar_paths(default_data)["truth_lifters"]
    return path if path.is_file() else None


SUMMARY_QUERY = """
select
    (select count(*) from dim_lifters) as lifters,
    (select count(*) from fct_workouts) as workouts,
    (select count(*) from fct_sets) as sets,
    (select count(*) from fct_reps) as reps,
    (select count(*) from fct_reps where is_usable) as usable_reps,
    (select count(*) from rejected_records) as rejected_records,
    (select min(started_at)::date from fct_sets) as first_day,
    (select max(started_at)::date from fct_sets) as last_day
"""


def summary(warehouse: Path) -> str:
    """A short, human summary of what the warehouse holds."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [d[0] for d in con.sql(SUMMARY_QUERY).description]
        values = con.sql(SUMMARY_QUERY).fetchall()[0]
        lifts = con.sql(
            "select coalesce(lift, '(unresolved)'), count(*) from fct_sets"
            " group by 1 order by 2 desc"
        ).fetchall()
        counts = con.sql(
            "select level, records_read, records_kept, records_quarantined, records_superseded,"
            " records_deleted, records_removed from fct_record_counts order by level"
        ).fetchall()
    lines = [f"warehouse: {warehouse}"]
    lines += [f"  {name:>17}: {value}" for name, value in zip(names, values, strict=True)]
    lines.append("  sets by lift: " + ", ".join(f"{lift} {n}" for lift, n in lifts))
    for level, read, kept, quarantined, superseded, deleted, removed in counts:
        lines.append(
            f"  {level}s read {read} = kept {kept} + quarantined {quarantined}"
            f" + superseded {superseded} + deleted {deleted} + removed {removed}"
        )
    lines.append(f'query it: liftlab sql "select * from fct_sets limit 5" --warehouse {warehouse}')
    return "\n".join(lines)
