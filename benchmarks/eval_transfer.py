"""Transfer benchmark: train on generated exports only, label the real ones (issue 13).

Usage: .venv/bin/python benchmarks/eval_transfer.py [--seeds 1,2,3] [--sizes 5000,20000]
       [--real FILE ...] [--out docs/bench/transfer.md]
       [--features default,transfer,no_shifted_traces]

For every seed x training size, ``liftlab generate`` writes an export, which is landed and
built up to the intermediate models; the default classifier is fitted on its labelled sets
with each named feature set (liftlab.ml.features.NAMED_FEATURE_SETS) and predicts every set
of each real export with the labels hidden, scored against the typed lift family
(:mod:`liftlab.ml.transfer`). Prints and writes the accuracy table, the
minimum per export, the per-lift confusion of the worst run and the realism distances.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from liftlab.ml.classifier import (
    ClassifierConfig,
    predict_set_probabilities,
    smooth_sets,
    summarise_set_probabilities,
    train_and_evaluate,
)
from liftlab.ml.features import NAMED_FEATURE_SETS
from liftlab.ml.transfer import (
    export_features,
    hide_labels,
    realism,
    score_sets,
    set_families,
    with_lift,
)

REPO = Path(__file__).resolve().parents[1]
REAL_DIR = REPO / ".." / "shared" / "data" / "openbarbell"
REAL = ("app_history_2017_2018.json", "app_history_sample.json")
KEY = ("features", "seed", "train_sets", "export")
SETS_PER_LIFTER = 20  # more lifters, more varied training data (5k sets: 83 -> 87 %)
FEATURE_SETS = NAMED_FEATURE_SETS


def generate(out: Path, sets: int, seed: int) -> None:
    lifters = max(20, sets // SETS_PER_LIFTER)
    cmd = [str(Path(sys.executable).parent / "liftlab"), "generate", "--quiet"]
    cmd += ["--sets", str(sets), "--lifters", str(lifters), "--seed", str(seed), "--out", str(out)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    for row in frame.itertuples(index=False):
        cells = [f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--sizes", default="5000,20000")
    parser.add_argument("--real", nargs="*", default=[str(REAL_DIR / name) for name in REAL])
    parser.add_argument("--out", default=str(REPO / "docs" / "bench" / "transfer.md"))
    parser.add_argument(
        "--features",
        default="default,transfer,no_shifted_traces",
        help=f"feature sets to train, comma-separated, of {', '.join(FEATURE_SETS)}",
    )
    args = parser.parse_args(argv)
    feature_sets = {name: FEATURE_SETS[name] for name in args.features.split(",")}
    seeds = [int(s) for s in args.seeds.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    started = time.perf_counter()

    real = {}
    for path in args.real:
        features, sets = export_features(path)
        families = set_families(sets)
        hidden = (hide_labels(features), hide_labels(sets))
        real[Path(path).name] = (*hidden, families, with_lift(features, families))

    rows, confusions, realism_frames = [], {}, []
    with tempfile.TemporaryDirectory(prefix="liftlab-transfer-") as tmp:
        for seed in seeds:
            for size in sizes:
                out = Path(tmp) / f"gen_{seed}_{size}.jsonl.gz"
                generate(out, size, seed)
                features, sets = export_features(out)
                for feature_set, columns in feature_sets.items():
                    config = ClassifierConfig(features=list(columns))
                    result = train_and_evaluate(features, config, evaluate=False)
                    for name, (hidden, hidden_sets, families, _) in real.items():
                        # the model's own set probabilities, then the within-lifter smoothing
                        by_set = predict_set_probabilities(
                            result.model, result.feature_columns, hidden
                        )
                        raw = summarise_set_probabilities(by_set)
                        smoothed = smooth_sets(by_set, hidden, config, sets=hidden_sets)
                        score = score_sets(summarise_set_probabilities(smoothed), families)
                        key = (feature_set, seed, size, name)
                        rows.append(dict(zip(KEY, key, strict=True), accuracy=score.accuracy))
                        rows[-1]["n_sets"] = score.n_sets
                        rows[-1]["accuracy_predicted"] = score.accuracy_predicted
                        rows[-1]["n_predicted"] = score.n_predicted
                        rows[-1]["accuracy_unsmoothed"] = score_sets(raw, families).accuracy
                        confusions[key] = score.confusion
                    print(
                        f"seed {seed} size {size} {feature_set}: {rows[-len(real) :]}", flush=True
                    )
                if seed == seeds[0] and size == max(sizes):
                    truth = pd.read_parquet(
                        out.with_name(out.name.replace(".jsonl.gz", ".truth_sets.parquet")),
                        columns=["set_id", "true_lift"],
                    ).drop_duplicates("set_id")
                    gen = with_lift(features, truth.set_index("set_id")["true_lift"])
                    for name, (_, _, _, labelled) in real.items():
                        realism_frames.append(realism(gen, labelled).assign(export=name))

    table = pd.DataFrame(rows)
    minimum = table.groupby(["features", "export"], as_index=False)[
        ["accuracy", "accuracy_predicted", "accuracy_unsmoothed"]
    ].min()
    worst_set = "transfer" if "transfer" in feature_sets else next(iter(feature_sets))
    worst = table.loc[table.loc[table["features"] == worst_set, "accuracy"].idxmin()]
    worst_key = tuple(worst[k] for k in KEY)
    real_table = pd.concat(realism_frames)[
        [
            "export",
            "lift",
            "feature",
            "ks",
            "wasserstein_sd",
            "generated_median",
            "real_median",
            "real_median_pct",
            "n_real",
        ]
    ]
    elapsed = time.perf_counter() - started
    command = " ".join(["benchmarks/eval_transfer.py", *(argv or sys.argv[1:])])
    text = "\n\n".join(
        [
            "# Transfer: trained on generated data only, scored on real exports",
            f"{dt.date.today()}, `{command}`, model {result.model_name}, {elapsed:.0f} s. "
            "Features: `default` = DEFAULT_FEATURES (every feature), `transfer` = "
            "TRANSFER_FEATURES, `no_shifted_traces` = NO_SHIFTED_TRACE_FEATURES (the default "
            "before, without five trace features; liftlab/ml/features.py).",
            "## Set-level accuracy (labels hidden, scored against the typed lift family)",
            "accuracy: over every set with a typed lift (a set left without a prediction "
            "counts as wrong); accuracy_predicted: over those with a prediction; both after "
            "the within-lifter smoothing (liftlab.ml.neighbours: the lifter's nearest sets in "
            "profile, the links between consecutive sets of a workout, which also label a set "
            "without a usable rep, and the near ties that give way; ClassifierConfig "
            "neighbour_k / neighbour_rounds / workout_links); accuracy_unsmoothed: the "
            "model's own set predictions, over every set.",
            markdown(table),
            "## Minimum per export",
            markdown(minimum),
            f"## Confusion of the worst {worst_set}-feature run (seed {worst.seed}, "
            f"{worst.train_sets} sets, {worst.export})",
            "```\n" + confusions[worst_key].to_string() + "\n```",
            f"## Realism (generated seed {seeds[0]}, {max(sizes)} sets, vs each real export)",
            "KS statistic; Wasserstein distance in generated standard deviations; "
            "real_median_pct: where the real median falls in the generated distribution.",
            markdown(real_table),
        ]
    )
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
