"""Benchmark of the exercise classifier on a built warehouse (prints figures, not a test).

    python -m liftlab.ml.benchmark --warehouse FILE [--truth TRUTH_SETS.parquet] [--no-cv]

Needs a full build (``int_reps_decoded``, ``int_sets_aggregated`` and ``fct_sets``). Prints
the time of each step (features, cross-validation, final fit, labelling), the
cross-validation table scored against the typed labels, and, with the generator's ground
truth, the same scored against the true lifts and the accuracy of the predicted lift and of
the build's resolved ``fct_sets.lift`` per ``lift_source`` (the rule is fct_sets' SQL).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd


def main(argv: list[str] | None = None) -> int:
    import duckdb

    from liftlab.ml.classifier import ClassifierConfig, label_sets, train_and_evaluate
    from liftlab.ml.warehouse import rep_features

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--truth", help="generator ground truth (*.truth_sets.parquet)")
    parser.add_argument("--no-cv", action="store_true", help="only fit and label")
    parser.add_argument("--cv-max-sets", type=int, default=10000, help="0 = all")
    args = parser.parse_args(argv)
    pd.set_option("display.width", 200)

    with duckdb.connect(args.warehouse, read_only=True) as con:
        started = time.perf_counter()
        features = rep_features(con)
        sets = con.sql("select * from int_sets_aggregated").df()
        # the build's resolved lifts (the rule is fct_sets' SQL case)
        resolved_sets = con.sql(
            "select set_id, typed_lift, typed_lift_status, lift, lift_source from fct_sets"
        ).df()
    t_features = time.perf_counter() - started
    print(f"sets {len(sets)}, usable reps {len(features)}; features {t_features:.1f} s")

    config = ClassifierConfig(cv_max_sets=args.cv_max_sets)
    started = time.perf_counter()
    result = train_and_evaluate(features, config, evaluate=not args.no_cv)
    t_train = time.perf_counter() - started
    started = time.perf_counter()
    labels = label_sets(
        sets, features, result.model, result.feature_columns, config, result.cross_fitted
    )
    t_label = time.perf_counter() - started
    print(
        f"model {result.model_name}: cv + cross-fit + final fit {t_train:.1f} s "
        f"(final fit alone {result.fit_seconds:.1f} s), labelling {t_label:.1f} s; "
        f"features + final fit + labelling = {t_features + result.fit_seconds + t_label:.1f} s"
    )
    cols = ["model", "level", "lifts", "accuracy", "macro_f1", "accuracy_fold_std", "n"]
    if not result.metrics.empty:
        print("\ncross-validation by lifter, scored against the typed labels")
        print(result.metrics[[*cols, "cv_seconds"]].round(4).to_string(index=False))

    if args.truth:
        truth = pd.read_parquet(args.truth)[["set_id", "true_lift"]].drop_duplicates("set_id")
        if not args.no_cv:
            clean = features.merge(truth, on="set_id", how="left")
            matched = clean["typed_lift_status"] == "matched"
            clean.loc[matched, "typed_lift"] = clean.loc[matched, "true_lift"]
            clean = clean.drop(columns="true_lift")
            truth_result = train_and_evaluate(
                clean, ClassifierConfig(cv_max_sets=args.cv_max_sets, cross_fit_labelled=False)
            )
            print("\ncross-validation by lifter, labelled sets relabelled with the true lift")
            print(truth_result.metrics[cols].round(4).to_string(index=False))
        predicted = labels.merge(truth, on="set_id", how="left").dropna(subset=["predicted_lift"])
        right = (predicted["predicted_lift"] == predicted["true_lift"]).mean()
        print(f"\npredicted lift right: {right:.4f} of {len(predicted)} sets with a prediction")
        merged = resolved_sets.merge(truth, on="set_id", how="left")
        merged["lift_right"] = merged["lift"] == merged["true_lift"]
        merged["typed_right"] = merged["typed_lift"] == merged["true_lift"]
        print("\nthe build's resolved lift (fct_sets) against the truth, per lift_source")
        print(
            merged.groupby("lift_source")[["lift_right", "typed_right"]]
            .agg(["mean", "size"])
            .round(4)
            .to_string()
        )
        resolved = merged.dropna(subset=["lift"])
        print(
            f"resolved lift right: {resolved['lift_right'].mean():.4f} of {len(resolved)} sets;"
            f" typed lift right on matched sets: "
            f"{merged.loc[merged['typed_lift_status'] == 'matched', 'typed_right'].mean():.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
