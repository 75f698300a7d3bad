"""The clustering form: ``liftlab tune --ui`` serves this Streamlit script.

Every widget is a setting of ``liftlab.clustering.config`` (its allow-lists give the
choices); each change re-runs the library's fit and scores (``liftlab.tune_ui.view``).
The warehouse is read once per browser session into memory (``liftlab.tune_ui.data``).
"""

from __future__ import annotations

import json

import streamlit as st

from liftlab.clustering import config as C
from liftlab.clustering import tables
from liftlab.tune_ui import data, view

GROUPINGS = {"lifter": "lifter", "lifter_workout": "lifter x workout"}
LIFT_CHOICES = {
    "all": "all lifts pooled",
    "each": "each lift apart (the study)",
    **{lift: lift.replace("_", " ") for lift in C.LIFTS},
}
CUT_MODES = {
    "height": "height (slider over the merges)",
    "n_clusters": "number of clusters",
    "fraction": "fraction of the largest merge",
}
D = C.DEFAULT_CONFIG

st.set_page_config(page_title="liftlab: clustering", layout="wide")
st.title("Lifter clustering")
settings = data.Settings.from_environment()
state = st.session_state


def load() -> data.Snapshot:
    if "snapshot" not in state:
        with st.spinner(f"reading {settings.warehouse} (read-only) ..."):
            state.snapshot = data.read_snapshot(settings)
            state.runs = state.snapshot.runs
            state.evaluated = {}
    return state.snapshot


try:
    snap = load()
except data.WarehouseError as exc:
    st.error(str(exc))
    st.button("try again")
    st.stop()

n_lifters = snap.sets["lifter_id"].nunique()
st.caption(
    f"warehouse `{settings.warehouse}` (read into memory: {len(snap.sets):,} sets, "
    f"{n_lifters:,} lifters); ground truth: "
    + (f"`{snap.truth_path}`" if snap.truth is not None else "not known (no ARI)")
)
if st.sidebar.button("re-read the warehouse", help="after a build: read it again"):
    for key in ("snapshot", "runs", "evaluated"):
        state.pop(key, None)
    st.rerun()

# -- the settings --------------------------------------------------------------------------
side = st.sidebar
side.header("Settings")
lifts = side.selectbox("lift", list(LIFT_CHOICES), format_func=LIFT_CHOICES.get, key="lifts")
group_by = side.radio("grouping", C.GROUP_BYS, format_func=GROUPINGS.get, key="group_by")
features = side.multiselect(
    "features",
    list(C.FEATURES),
    default=D["features"],
    format_func=view.feature_label,
    key="features",
)
aggregators = side.multiselect("aggregators", C.AGGREGATORS, default=D["aggregators"], key="aggs")
imputation = side.selectbox("imputation", C.IMPUTATIONS, key="imputation")
scaler = side.selectbox("scaler", C.SCALERS, key="scaler")
linkage = side.selectbox("linkage", C.LINKAGES, key="linkage")
distances = ["euclidean"] if linkage in C.EUCLIDEAN_ONLY_LINKAGES else list(C.DISTANCES)
if state.get("distance") not in distances:
    state.distance = "euclidean"
distance = side.selectbox("distance", distances, key="distance")
if linkage in C.EUCLIDEAN_ONLY_LINKAGES:
    side.caption(f"{linkage} linkage is defined for euclidean distance only")
cut_mode = side.radio("cut-off", list(CUT_MODES), format_func=CUT_MODES.get, key="cut_mode")
if cut_mode == "n_clusters":
    cut_value = side.slider("number of clusters", 1, view.MAX_CUT_CLUSTERS, 4, key="n_clusters")
elif cut_mode == "fraction":
    cut_value = side.slider("x largest merge", 0.0, 1.0, D["cut"]["value"], 0.01, key="fraction")
else:
    cut_value = state.get("cut_height")
with side.expander("more settings"):
    advanced = {
        "min_sets": st.number_input("min sets per lifter", 1, 1000, D["min_sets"]),
        "holdout_fraction": st.number_input(
            "hold-out share", 0.0, 0.9, D["holdout_fraction"], 0.05
        ),
        "neighbors": st.number_input("neighbours (assignment)", 1, 50, D["neighbors"]),
        "seed": st.number_input("seed", 0, 2**31 - 1, D["seed"]),
        "stability_resamples": st.number_input(
            "stability resamples", 0, 1000, D["stability_resamples"], key="resamples"
        ),
        "stability_fraction": st.number_input(
            "stability share", 0.1, 1.0, D["stability_fraction"], 0.05
        ),
        "two_stage_threshold": st.number_input(
            "two-stage above rows", 10, 10_000_000, D["two_stage_threshold"]
        ),
        "micro_clusters": st.number_input("micro-clusters", 2, 100_000, D["micro_clusters"]),
    }

settings_cfg = {
    "lifts": lifts if lifts in ("all", "each") else [lifts],
    "group_by": group_by,
    "features": features,
    "aggregators": aggregators,
    "imputation": imputation,
    "scaler": scaler,
    "linkage": linkage,
    "distance": distance,
    **advanced,
}


def configuration(cut: dict) -> dict:
    name = f"ui[{linkage}/{distance},{cut['method']}:{cut['value']:.4g}]"
    return C.validate_config({**settings_cfg, "cut": cut, "name": name})


# -- fit -----------------------------------------------------------------------------------
try:
    if cut_mode == "height" and cut_value is None:
        cut = {"method": "fraction", "value": D["cut"]["value"]}  # first view: the default
    else:
        cut = {"method": cut_mode, "value": cut_value}
    cfg = configuration(cut)
except C.ConfigError as exc:
    st.error(f"These settings cannot be clustered: {exc}")
    st.stop()


def fit(cfg: dict):
    try:
        with st.spinner("clustering ..."):
            return view.fit(snap.sets, snap.fingerprint, cfg)
    except KeyError as exc:
        st.error(f"this warehouse's fct_sets lacks a column these features need: {exc}")
        st.stop()
    except (ValueError, FloatingPointError) as exc:
        st.error(
            f"{cfg['linkage']} linkage with {cfg['distance']} distance failed on these "
            f"features: {exc}"
        )
        st.stop()


feats, fits = fit(cfg)
if not fits:
    st.warning("No lifter has sets of the chosen lift in this warehouse: choose another lift.")
    st.stop()
shown = (
    st.selectbox("show lift", list(fits), key="show_lift") if len(fits) > 1 else next(iter(fits))
)
lift_fit = fits[shown]
if lift_fit.training.sum() < 2:
    st.warning(
        f"{shown}: fewer than two lifters with at least {cfg['min_sets']} sets; "
        "lower 'min sets per lifter', group by lifter x workout, or choose another lift."
    )
    st.stop()

options = view.cut_options(lift_fit.tree.z)
if cut_mode == "height" and options:
    wanted = lift_fit.height if cut_value is None else float(cut_value)
    snapped = wanted if wanted in options else view.nearest(list(options), wanted)
    state.cut_height = snapped
    if cut != {"method": "height", "value": snapped}:
        cfg = configuration({"method": "height", "value": snapped})
        feats, fits = fit(cfg)
        lift_fit = fits[shown]

# -- scores (cached per configuration and data: the logged run is the shown one) -----------
key = (C.config_json(cfg), snap.fingerprint)
if key not in state.evaluated:
    bar = st.progress(0.0, text="quality scores ...")

    def progress(done: int, total: int, lift: str) -> None:
        bar.progress(done / total, text=f"quality scores: {lift} ({done + 1}/{total})")

    try:
        state.evaluated[key] = view.evaluate(feats, fits, cfg, snap.truth, progress)
    except (ValueError, FloatingPointError) as exc:
        st.error(f"the quality scores failed for these settings: {exc}")
        st.stop()
    bar.empty()
    while len(state.evaluated) > 50:  # a session's memory stays bounded
        state.evaluated.pop(next(iter(state.evaluated)))
runs = state.evaluated[key]
row = runs[runs["lift"] == shown].iloc[0]

sizes = json.loads(row["cluster_sizes"])
noun = "lifters" if group_by == "lifter" else "lifter-workouts"
st.subheader(f"{shown}: {row['n_clusters']} clusters of {row['n_training']} {noun}")
st.caption(
    f"method {row['method']} (two-stage above {cfg['two_stage_threshold']:,} rows); "
    f"sizes {sizes}; {row['n_assigned']} assigned by nearest neighbour; "
    f"fit and scores {float(runs['fit_seconds'].sum()):.2f} s"
)
columns = st.columns(len(view.SCORES))
for column, (metric, label, help_text) in zip(columns, view.SCORES, strict=True):
    value = row[metric]
    shown_value = "n/a" if value != value else f"{value:.3f}"  # NaN check
    if metric == "ari" and snap.truth is None:
        help_text = "no generator truth for this warehouse"
    column.metric(label, shown_value, help=help_text)

left, right = st.columns(2)
with left:
    if cut_mode == "height" and options:
        st.select_slider(
            "cut-off height",
            options=list(options),
            format_func=lambda h: f"{h:.3g} ({options[h]} clusters)",
            key="cut_height",
        )
    linkage_table = tables.linkage_table({shown: lift_fit})
    dendrogram = tables.dendrogram_table(linkage_table)
    st.plotly_chart(view.dendrogram_figure(dendrogram, shown), key="dendrogram")
with right:
    st.plotly_chart(view.pca_figure(tables.pca_table({shown: lift_fit}), shown), key="pca")

st.subheader("Cluster profiles (original units, mean over members)")
profiles = view.profile_frame(tables.profiles_table(feats, {shown: lift_fit}, cfg), shown)
st.dataframe(profiles, hide_index=True, key="profiles")

# -- log and promote -----------------------------------------------------------------------
st.subheader("Logged runs")
if st.button("log this run", type="primary", help="append it to cluster_tuning_runs"):
    try:
        logged_before = state.runs["run_id"].isin(runs["run_id"]).any()
        state.runs = data.log_run(settings, runs)
        if logged_before:
            st.info(f"run {row['run_id']} is already logged")
        else:
            st.success(f"logged run {row['run_id']} to cluster_tuning_runs")
    except data.WarehouseError as exc:
        st.error(f"not logged: {exc}")
summary = view.run_summary(state.runs)
if summary.empty:
    st.info("No runs logged yet: 'log this run', or `liftlab tune --grid FILE`.")
else:
    st.dataframe(summary, hide_index=True, key="runs")
    labels = dict(zip(summary["run_id"], summary["experiment"], strict=True))
    chosen = st.selectbox(
        "run to promote",
        list(labels),
        format_func=lambda r: f"{r} {labels[r]}",
        key="promote_run",
    )
    if st.button("promote", help="what `liftlab tune --best --run-id RUN` does"):
        try:
            doc, path = data.promote_run(settings, chosen)
            st.success(
                f"promoted run {doc['run_id']} -> `{path}`; the next "
                "`dbt build --select int_lifter_clusters_fitted+` uses it"
            )
        except (data.WarehouseError, LookupError) as exc:
            st.error(f"not promoted: {exc}")
