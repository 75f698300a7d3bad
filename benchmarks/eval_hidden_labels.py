"""How many hidden exercise labels the warehouse recovers ("own labels" evaluation).

Blanks the ``exercise`` of a share (default 30 %) of each lifter's workouts in a temporary
copy of an app-history export (the object keyed by set id, or a JSON array of sets), builds a
warehouse from it, and compares ``fct_sets.lift`` of the blanked sets with the lift their
hidden name matches (``typed_lift`` of the same set in a warehouse built from the untouched
export). Run from the project root::

    .venv/bin/python benchmarks/eval_hidden_labels.py \
        ../shared/data/openbarbell/app_history_2017_2018.json [--share 0.3] [--seed 1] \
        [--reference built.duckdb] [--vars '{classifier_label_min_probability: 0.6}']

Prints the share of hidden sets recovered (lift equal to the hidden lift), also among the
resolvable ones (a set without a usable rep, and whose workout neighbours have none either,
has nothing to classify: lift_source unresolved),
the count per lift_source (uncertain: the model abstained) and the accuracy of those labelled.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd


def load_sets(path: Path) -> list[dict]:
    """The set documents of an app-history export (object keyed by set id) or JSON array."""
    data = json.loads(path.read_text())
    return list(data.values()) if isinstance(data, dict) else list(data)


def workouts_to_hide(sets: list[dict], share: float, seed: int) -> set[tuple[str, str]]:
    """(lifter, workout) pairs to blank: ``share`` of each lifter's workouts (rounded, at
    least one when the lifter has two or more), drawn with the seed. The lifter is the
    userID (one lifter when there is none)."""
    rng = np.random.default_rng(seed)
    per_lifter: dict[str, list[str]] = {}
    for s in sets:
        lifter, workout = str(s.get("userID") or ""), str(s.get("workoutID") or "")
        workouts = per_lifter.setdefault(lifter, [])
        if workout not in workouts:
            workouts.append(workout)
    hidden = set()
    for lifter, workouts in per_lifter.items():
        n = round(share * len(workouts))
        if len(workouts) >= 2:
            n = min(max(n, 1), len(workouts) - 1)
        for workout in rng.choice(sorted(workouts), size=n, replace=False):
            hidden.add((lifter, str(workout)))
    return hidden


def hide_labels(sets: list[dict], hidden: set[tuple[str, str]]) -> tuple[list[dict], list[str]]:
    """Copies of the sets with ``exercise`` null in the hidden workouts, and the set ids
    whose label was hidden (those that had one)."""
    out, blanked = [], []
    for s in sets:
        key = (str(s.get("userID") or ""), str(s.get("workoutID") or ""))
        if key in hidden:
            if s.get("exercise"):
                blanked.append(str(s.get("setID")))
            s = {**s, "exercise": None}
        out.append(s)
    return out, blanked


def compare(resolved: pd.DataFrame, reference: pd.DataFrame, blanked: list[str]) -> dict:
    """Scores of the blanked sets whose hidden name matched one of the six lifts:
    ``resolved`` has set_id, lift, lift_source (hidden build); ``reference`` set_id,
    typed_lift (untouched build)."""
    truth = reference[reference["set_id"].isin(blanked) & reference["typed_lift"].notna()]
    merged = truth.merge(resolved, on="set_id", how="left")
    right = merged["lift"] == merged["typed_lift"]
    labelled = merged["lift"].notna()
    # a set without a usable rep nor a workout neighbour with one has nothing to classify
    # (lift_source 'unresolved')
    resolvable = merged["lift_source"] != "unresolved"
    return {
        "hidden_sets": len(merged),
        "recovered": int(right.sum()),
        "recovered_pct": round(100.0 * right.mean(), 2) if len(merged) else None,
        "hidden_sets_resolvable": int(resolvable.sum()),
        "recovered_of_resolvable_pct": (
            round(100.0 * right[resolvable].mean(), 2) if resolvable.any() else None
        ),
        "labelled": int(labelled.sum()),
        "accuracy_of_labelled_pct": (
            round(100.0 * right[labelled].mean(), 2) if labelled.any() else None
        ),
        "by_lift_source": merged.groupby("lift_source", dropna=False)
        .apply(lambda g: f"{int((g['lift'] == g['typed_lift']).sum())}/{len(g)}")
        .to_dict(),
    }


def build(data: Path, warehouse: Path, dbt_vars: str | None) -> None:
    from liftlab.landing import land
    from liftlab.warehouse import BUILD_ARGUMENTS, connect, run_dbt

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with connect(warehouse) as con:
        land(str(data), con, replace_all=True)
    arguments = [*BUILD_ARGUMENTS, *(["--vars", dbt_vars] if dbt_vars else [])]
    run_dbt(arguments, warehouse, quiet=True)


def read(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).df()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("--share", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reference", type=Path, help="warehouse built from the export")
    parser.add_argument("--vars", help="dbt --vars of the hidden build")
    parser.add_argument("--keep", type=Path, help="directory for the temporary files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.keep) as tmp:
        tmp = Path(tmp)
        reference_wh = args.reference
        if reference_wh is None:
            reference_wh = tmp / "reference.duckdb"
            build(args.export, reference_wh, None)
        sets = load_sets(args.export)
        masked, blanked = hide_labels(sets, workouts_to_hide(sets, args.share, args.seed))
        masked_path = tmp / args.export.name
        masked_path.write_text(json.dumps({str(s.get("setID")): s for s in masked}))
        hidden_wh = tmp / "hidden.duckdb"
        build(masked_path, hidden_wh, args.vars)
        scores = compare(
            read(hidden_wh, "select set_id, lift, lift_source from fct_sets"),
            read(reference_wh, "select set_id, typed_lift from fct_sets"),
            blanked,
        )
        chosen = read(hidden_wh, "select distinct chosen_model from ml_classifier_metrics")
    scores["chosen_model"] = ", ".join(map(str, chosen["chosen_model"].dropna()))
    print(json.dumps(scores, indent=2))


if __name__ == "__main__":
    main()
