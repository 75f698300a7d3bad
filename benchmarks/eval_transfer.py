"""Transfer benchmark: train on generated exports only, label the real ones (issue 13).

Usage: .venv/bin/python benchmarks/eval_transfer.py [--seeds 1,2,3] [--sizes 5000,20000]
       [--real FILE ...] [--out docs/bench/transfer.md]

For every seed x training size, ``liftlab generate`` writes an export, which is landed and
built up to the intermediate models; the default classifier is fitted on its labelled sets
and predicts every set of each real export with the labels hidden, scored against the
typed lift family (:mod:`liftlab.ml.transfer`). Prints and writes the accuracy table, the
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

from liftlab.ml.classifier import ClassifierConfig, predict_sets, train_and_evaluate
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
SETS_PER_LIFTER = 40


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
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    started = time.perf_counter()

    real = {}
    for path in args.real:
        features, sets = export_features(path)
        families = set_families(sets)
        real[Path(path).name] = (hide_labels(features), families, with_lift(features, families))

    rows, confusions, realism_frames = [], {}, []
    config = ClassifierConfig()
    with tempfile.TemporaryDirectory(prefix="liftlab-transfer-") as tmp:
        for seed in seeds:
            for size in sizes:
                out = Path(tmp) / f"gen_{seed}_{size}.jsonl.gz"
                generate(out, size, seed)
                features, sets = export_features(out)
                result = train_and_evaluate(features, config, evaluate=False)
                for name, (hidden, families, labelled) in real.items():
                    score = score_sets(
                        predict_sets(result.model, result.feature_columns, hidden), families
                    )
                    rows.append(
                        {
                            "seed": seed,
                            "train_sets": size,
                            "export": name,
                            "accuracy": score.accuracy,
                            "n_sets": score.n_sets,
                        }
                    )
                    confusions[seed, size, name] = score.confusion
                    if seed == seeds[0] and size == max(sizes):
                        truth = pd.read_parquet(
                            out.with_name(out.name.replace(".jsonl.gz", ".truth_sets.parquet")),
                            columns=["set_id", "true_lift"],
                        ).drop_duplicates("set_id")
                        gen = with_lift(features, truth.set_index("set_id")["true_lift"])
                        realism_frames.append(realism(gen, labelled).assign(export=name))
                print(f"seed {seed} size {size}: {rows[-2:]}", flush=True)

    table = pd.DataFrame(rows)
    minimum = table.groupby("export", as_index=False)["accuracy"].min()
    worst = table.loc[table["accuracy"].idxmin()]
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
            f"{dt.date.today()}, `{command}`, model {result.model_name}, {elapsed:.0f} s.",
            "## Set-level accuracy (labels hidden, scored against the typed lift family)",
            markdown(table),
            "## Minimum per export",
            markdown(minimum),
            f"## Confusion of the worst run (seed {worst.seed}, {worst.train_sets} sets, "
            f"{worst.export})",
            "```\n" + confusions[worst.seed, worst.train_sets, worst.export].to_string() + "\n```",
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
