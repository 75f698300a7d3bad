"""`liftlab tune`: sweep clustering configurations, log every run, promote the best.

``liftlab tune --grid FILE`` reads a YAML sweep (see ``config/clustering_grid.example.yml``)::

    base: default                 # named experiment the grid starts from (optional)
    experiments: [default, study] # named experiments run as they are (optional)
    grid:                         # cartesian product of values (optional)
      linkage: [ward, average]
      cut: [{method: fraction, value: 0.55}, {method: n_clusters, value: 4}]

Each configuration is clustered on ``fct_sets`` of the warehouse and appended to
``liftlab tune``'s own table ``cluster_tuning_runs`` (one row per lift; a declared source that
no dbt ``--full-refresh`` touches, liftlab.clustering.run_log); a ranked table is printed.
With a ground-truth file (``--truth`` or ``$LIFTLAB_GROUND_TRUTH``: the generator's
``*.truth_lifters.parquet``; never guessed) runs are ranked by adjusted Rand index, otherwise
by silhouette.

``liftlab tune --best [--run-id ID]`` promotes the best (or the given) run logged by a build
(``cluster_runs``) or by tuning (``cluster_tuning_runs``): its
configuration is written to the promoted-config file (``--promoted-file``, default
``$LIFTLAB_CLUSTERING_PROMOTED``, else ``<warehouse stem>.clustering_promoted.yml`` beside
the warehouse, e.g. ``warehouse/liftlab.clustering_promoted.yml``), which the dbt
clustering models read when no experiment is named, and the promotion is recorded in the
``cluster_promotions`` table. Rebuild with
``dbt build --select int_lifter_clusters_fitted+`` to refresh the marts.

``liftlab tune --ui [--port N]`` serves the same loop as a form (``liftlab/tune_ui/``): a
Streamlit app on 127.0.0.1 that clusters with the settings chosen, logs a run with
``run_log.append_tuning_runs`` and promotes it with :func:`promote`.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from typing import Any

from liftlab import environment
from liftlab.clustering.config import DEFAULT_EXPERIMENTS_FILE
from liftlab.warehouse import DEFAULT_WAREHOUSE

RANK_METRICS = (
    "ari",
    "silhouette",
    "stability",
    "cophenetic_correlation",
    "calinski_harabasz",
    "davies_bouldin",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--grid", metavar="FILE", help="YAML sweep to run and log")
    mode.add_argument("--best", action="store_true", help="promote the best logged run")
    mode.add_argument(
        "--ui", action="store_true", help="serve the clustering form (Streamlit) on 127.0.0.1"
    )
    parser.add_argument("--port", type=int, default=8501, help="with --ui: port (%(default)s)")
    parser.add_argument("--run-id", help="with --best: promote this run instead")
    parser.add_argument(
        "--rank-by",
        choices=RANK_METRICS,
        help="metric to rank by (default: ari when known, else silhouette)",
    )
    parser.add_argument(
        "--warehouse",
        default=environment.setting(environment.WAREHOUSE) or DEFAULT_WAREHOUSE,
        help="DuckDB warehouse file (default: $LIFTLAB_WAREHOUSE or %(default)s)",
    )
    parser.add_argument(
        "--truth",
        default=environment.setting(environment.GROUND_TRUTH),
        help="ground-truth lifters parquet (user_id, archetype) for ARI (default: "
        "$LIFTLAB_GROUND_TRUTH; without either, no ARI)",
    )
    parser.add_argument(
        "--experiments",
        default=str(DEFAULT_EXPERIMENTS_FILE),
        help="named experiments file (default: %(default)s)",
    )
    parser.add_argument(
        "--promoted-file",
        default=environment.setting(environment.CLUSTERING_PROMOTED),
        help="where --best writes the promoted configuration (default: "
        "$LIFTLAB_CLUSTERING_PROMOTED, else <warehouse>.clustering_promoted.yml beside it)",
    )
    parser.add_argument("--top", type=int, default=20, help="rows of the ranked table")


def expand_grid(spec: dict[str, Any], experiments: dict[str, dict[str, Any]]) -> list[dict]:
    """The list of (unvalidated) configurations described by a grid file."""
    from liftlab.clustering.config import ConfigError

    unknown = sorted(set(spec) - {"base", "experiments", "grid"})
    if unknown:
        raise ConfigError(f"grid file: unknown key(s) {unknown}; valid: base, experiments, grid")

    def named(name: str) -> dict[str, Any]:
        if name not in experiments and name != "default":
            valid = ", ".join(sorted(experiments))
            raise ConfigError(f"experiment {name!r} not found; valid experiments: {valid}")
        cfg = {k: v for k, v in experiments.get(name, {}).items() if k != "description"}
        cfg["name"] = name
        return cfg

    configs = [named(n) for n in spec.get("experiments") or []]
    grid = spec.get("grid") or {}
    if grid:
        base = named(spec.get("base") or "default")
        keys = sorted(grid)
        values = [v if isinstance(v, list) else [v] for v in (grid[k] for k in keys)]
        for combo in itertools.product(*values):
            cfg = dict(base)
            cfg.update(dict(zip(keys, combo, strict=True)))
            # name runs by the values that vary across the grid
            varying = [k for k, v in zip(keys, values, strict=True) if len(v) > 1] or keys
            label = ",".join(f"{k}={_short(cfg[k])}" for k in varying)
            cfg["name"] = f"{base['name']}[{label}]"
            configs.append(cfg)
    if not configs:
        raise ConfigError("grid file has neither `experiments` nor `grid` entries")
    return configs


def _short(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"method", "value"}:
        return f"{value['method']}:{value['value']}"
    if isinstance(value, list):
        return "+".join(map(str, value))
    return str(value)


def ranked_runs(con, run_ids: list[str] | None, rank_by: str | None):
    """One row per run: metrics averaged over its lifts, best first."""
    import pandas as pd

    from liftlab.clustering.run_log import read_runs

    runs = read_runs(con)
    if run_ids is not None:
        runs = runs[runs["run_id"].isin(run_ids)]
    if runs.empty:
        return runs, rank_by or "silhouette"
    metrics = [m for m in RANK_METRICS if m in runs]
    summary = runs.groupby("run_id", sort=False).agg(
        run_at=("run_at", "max"),
        experiment=("experiment", "first"),
        config_json=("config_json", "first"),
        lifts=("lift", "count"),
        n_clusters=("n_clusters", lambda s: "/".join(map(str, s))),
        **{m: (m, "mean") for m in metrics},
    )
    if rank_by is None:
        rank_by = "ari" if summary["ari"].notna().any() else "silhouette"
    # ties (common when several settings recover the truth) go to the better silhouette
    keys = [rank_by] + [m for m in ("silhouette", "stability") if m != rank_by] + ["run_at"]
    ascending = [k == "davies_bouldin" for k in keys[:-1]] + [False]
    summary = summary.sort_values(keys, ascending=ascending, na_position="last")
    summary.insert(0, "rank", range(1, len(summary) + 1))
    return pd.DataFrame(summary).reset_index(), rank_by


def _print_table(summary, rank_by: str, top: int) -> None:
    cols = ["rank", "run_id", "experiment", "n_clusters", *RANK_METRICS]
    shown = summary[[c for c in cols if c in summary]].head(top).copy()
    shown["experiment"] = shown["experiment"].str.slice(0, 80)
    print(f"ranked by {rank_by} (mean over lifts; davies_bouldin: lower is better)")
    import pandas as pd

    with pd.option_context("display.max_columns", None, "display.width", None):
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


def run_grid(args) -> int:
    import duckdb
    import yaml
    from tqdm import tqdm

    from liftlab.clustering import dbt_support, pipeline, run_log, scores
    from liftlab.clustering.config import load_experiments, validate_config
    from liftlab.clustering.features import source_columns

    with open(args.grid, encoding="utf-8") as fh:
        spec = yaml.safe_load(fh) or {}
    experiments = load_experiments(args.experiments)
    configs = [validate_config(c) for c in expand_grid(spec, experiments)]
    columns: list[str] = []
    for cfg in configs:
        columns += [c for c in source_columns(cfg) if c not in columns]
    # column names come from the allow-list in liftlab.clustering.config, never from input
    select = ", ".join(f'"{c}"' for c in columns)
    con = duckdb.connect(args.warehouse)
    try:
        sets = con.execute(f"select {select} from main.fct_sets").df()
        truth = dbt_support.truth(args.truth)  # --truth / $LIFTLAB_GROUND_TRUTH only
        run_ids = []
        for cfg in tqdm(configs, desc="clustering runs", unit="run", file=sys.stderr):
            feats, fits = pipeline.fit_sets(sets, cfg)
            fingerprint = pipeline.data_fingerprint(feats)
            runs = scores.evaluate(
                fits, cfg, truth=truth, source="tune", data_fingerprint=fingerprint
            )
            run_log.append_tuning_runs(con, runs)
            run_ids.append(runs["run_id"].iloc[0])
        summary, rank_by = ranked_runs(con, run_ids, args.rank_by)
    finally:
        con.close()
    _print_table(summary, rank_by, args.top)
    print(f"\n{len(run_ids)} runs appended to cluster_tuning_runs in {args.warehouse}")
    return 0


def promote(con, run_id: str | None, rank_by: str | None, promoted_file, warehouse):
    """Promote the best logged run (or ``run_id``): write its configuration to the promoted
    file (``promoted_file``, else ``<warehouse stem>.clustering_promoted.yml``) and record
    it in ``cluster_promotions``. Returns (document written, path, experiment of the run);
    raises ``LookupError`` when there is no such run. ``liftlab tune --best`` and the
    ``--ui`` form's "promote" both call this."""
    import json
    from datetime import UTC, datetime
    from pathlib import Path

    import pandas as pd
    import yaml

    summary, rank_by = ranked_runs(con, None, rank_by)
    if summary.empty:
        raise LookupError("no logged runs: build the warehouse or run `liftlab tune --grid FILE`")
    if run_id:
        chosen = summary[summary["run_id"] == run_id]
        if chosen.empty:
            raise LookupError(f"run {run_id!r} not found in cluster_runs or cluster_tuning_runs")
    else:
        chosen = summary.head(1)
    row = chosen.iloc[0]
    config = json.loads(row["config_json"])
    promoted_at = datetime.now(UTC).replace(tzinfo=None)
    score = None if pd.isna(row[rank_by]) else float(row[rank_by])
    doc = {
        "run_id": str(row["run_id"]),
        "promoted_at": promoted_at.isoformat(timespec="seconds"),
        "rank_by": rank_by,
        "score": score,
        "config": config,
    }
    if promoted_file:
        path = Path(promoted_file)
    else:
        from liftlab.clustering.dbt_support import promoted_file_for

        path = promoted_file_for(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# written by `liftlab tune --best`; read by the dbt clustering models\n"
        + yaml.safe_dump(doc, sort_keys=False),
        encoding="utf-8",
    )
    con.execute(
        "create table if not exists main.cluster_promotions (run_id varchar, "
        "promoted_at timestamp, rank_by varchar, score double, config_json varchar)"
    )
    con.execute(
        "insert into main.cluster_promotions values (?, ?, ?, ?, ?)",
        [doc["run_id"], promoted_at, rank_by, score, row["config_json"]],
    )
    return doc, path, str(row["experiment"])


def run_best(args) -> int:
    import duckdb

    con = duckdb.connect(args.warehouse)
    try:
        doc, path, experiment = promote(
            con, args.run_id, args.rank_by, args.promoted_file, args.warehouse
        )
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        con.close()
    print(f"promoted run {doc['run_id']} ({experiment}; {doc['rank_by']}={doc['score']}) -> {path}")
    print("rebuild the clustering models: dbt build --select int_lifter_clusters_fitted+")
    return 0


def ui_command(args) -> tuple[list[str], dict[str, str]]:
    """The ``streamlit run`` command line and environment of ``--ui``: bound to 127.0.0.1,
    headless, no usage statistics, no file watcher; the app reads its warehouse, truth and
    promoted file from the environment (the same variables as the other modes)."""
    from importlib.util import find_spec
    from pathlib import Path

    values = {environment.WAREHOUSE: str(Path(args.warehouse).resolve())}
    for name, value in (
        (environment.GROUND_TRUTH, args.truth),
        (environment.CLUSTERING_PROMOTED, args.promoted_file),
    ):
        if value:
            values[name] = str(Path(value).resolve()) if value.lower() != "none" else value
    env = environment.for_child(**values)
    script = find_spec("liftlab.tune_ui.app").origin  # the path, without running it
    command = [sys.executable, "-m", "streamlit", "run", str(script)]
    command += ["--server.address", "127.0.0.1", "--server.port", str(args.port)]
    command += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    command += ["--server.fileWatcherType", "none", "--global.developmentMode", "false"]
    command += ["--client.toolbarMode", "viewer"]
    return command, env


def run_ui(args) -> int:
    """Replace this process with the Streamlit server (Ctrl-C or a signal stops it)."""
    command, env = ui_command(args)
    print(f"liftlab tune --ui: http://127.0.0.1:{args.port}/ (warehouse {args.warehouse})")
    sys.stdout.flush()
    os.execve(command[0], command, env)
    return 0  # pragma: no cover - execve does not return


def run(args) -> int:
    from pathlib import Path

    from liftlab.clustering.config import ConfigError

    if getattr(args, "ui", False):  # the form explains a missing or unbuilt warehouse itself
        return run_ui(args)
    if not Path(args.warehouse).is_file():
        print(f"liftlab tune: no warehouse at {args.warehouse}; build it first", file=sys.stderr)
        return 2
    import duckdb

    from liftlab.publish import WarehouseBusy, duckdb_lock_message, writer_lock

    try:
        # the one-writer lock of `liftlab build`: never append to a warehouse being built
        with writer_lock(args.warehouse, "liftlab tune"):
            return run_grid(args) if args.grid else run_best(args)
    except (ConfigError, WarehouseBusy) as exc:
        print(f"liftlab tune: {exc}", file=sys.stderr)
        return 2
    except duckdb.IOException as exc:
        message = duckdb_lock_message(Path(args.warehouse), exc)
        if message is None:
            raise
        print(f"liftlab tune: {message}", file=sys.stderr)
        return 2
