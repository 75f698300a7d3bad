"""The Evidence report site in a real browser (headless Debian Chromium, puppeteer-core).

Once per session: generate a small export, build a warehouse from it (`liftlab build`; the
classifier narrowed to two quick models), build the site with `liftlab report` into a copy
of the Evidence project, and serve it on 127.0.0.1. Then every page must load without
console errors, fetch nothing off 127.0.0.1, and show its charts with data; the lifter
Dropdown must move the number line to the chosen lifter's values as stored in the
warehouse. Screenshots of every page go to build/test-artifacts/reports/.

Needs Node.js with the npm packages of reports/ (`npm ci`, run by `liftlab report` when
missing) and /usr/bin/chromium (scripts/install_chromium.sh).
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
REPORTS = REPO / "reports"
ARTIFACTS = REPO / "build" / "test-artifacts" / "reports"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PAGES = ("/", "/lifter", "/clusters", "/classifier", "/data-quality", "/coach", "/lifters")
# charts each page must show with data
MIN_CHARTS = {
    "/": 2,
    "/lifter": 1,
    "/clusters": 4,
    "/classifier": 3,
    "/data-quality": 2,
    "/coach": 0,
    "/lifters": 0,
}
QUICK_CLASSIFIER = {
    "classifier_models": ["knn_study", "gaussian_nb_study"],
    "classifier_cv_folds": 3,
}
# The warehouse is built with a salt of the session's own: found in a built file, it leaked.
SALT = f"liftlab-site-test-salt-{secrets.token_hex(8)}"
# Files a site built earlier from another warehouse ("A") left in the project: the build
# from this session's warehouse must not ship any of them.
STALE_FROM_A = (
    "build/data/liftlab/rpt_overview/0123456789abcdef0123456789abcdef/rpt_overview.parquet",
    "build/data/liftlab/rpt_dropped_table/rpt_dropped_table.schema.json",
    "build/lifter/aaaaaaaaaaaaaaaa.html",
    ".evidence/template/static/data/liftlab/rpt_dropped_table/rpt_dropped_table.parquet",
)
PROJECT_FILES = (
    "package.json",
    "package-lock.json",
    ".npmrc",
    "evidence.config.yaml",
    "evidence.settings.json",
    "pages",
    "sources",
    "scripts",
    "tests",
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("LIFTLAB_SKIP_BROWSER_TESTS") == "1",
        reason="LIFTLAB_SKIP_BROWSER_TESTS=1",
    ),
]


def _liftlab(*args: str, env: dict[str, str] | None = None) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "liftlab.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, (
        f"liftlab {' '.join(args)} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    )


def _build_warehouse(tmp: Path) -> tuple[Path, Path]:
    """`liftlab build` over a small generated export, with a quick classifier."""
    import liftlab.commands.build as build_command

    data = tmp / "x.jsonl.gz"
    _liftlab("generate", "--sets", "3000", "--lifters", "20", "--seed", "7", "--out", str(data))
    warehouse = tmp / "w.duckdb"
    original = build_command.run_dbt

    def quick(arguments, target, *, dbt_vars=None, **options):
        dbt_vars = {**(dbt_vars or {}), **QUICK_CLASSIFIER}
        return original(arguments, target, dbt_vars=dbt_vars, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build_command, "run_dbt", quick)
        # keep this build's dbt artifacts out of the shared target/ and logs/
        patch.setenv("DBT_TARGET_PATH", str(tmp / "dbt_target"))
        patch.setenv("DBT_LOG_PATH", str(tmp / "dbt_logs"))
        patch.setenv("LIFTLAB_QUALITY_DOCS", str(tmp / "quality_docs"))
        patch.setenv("LIFTLAB_ID_SALT", SALT)
        build_command.build(str(data), warehouse, quiet=True)
    return data, warehouse


def _project_copy(tmp: Path) -> Path:
    """The Evidence project copied to ``tmp`` (sharing reports/node_modules), so that the
    test's small site does not replace the real one in reports/build."""
    if not (REPORTS / "node_modules" / ".bin" / "evidence").exists():
        completed = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=REPORTS, check=False
        )
        assert completed.returncode == 0, "npm ci failed in reports/"
    project = tmp / "reports"
    project.mkdir()
    for name in PROJECT_FILES:
        source = REPORTS / name
        if source.is_dir():
            shutil.copytree(
                source, project / name, ignore=shutil.ignore_patterns("*.duckdb", "*.wal")
            )
        elif source.exists():
            shutil.copy2(source, project / name)
    (project / "node_modules").symlink_to(REPORTS / "node_modules")
    return project


@pytest.fixture(scope="session")
def report_site():
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: the report site needs Node.js 20 and npm")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run scripts/install_chromium.sh")
    from liftlab.commands.report import build_site, free_port, start_preview, stop_preview

    # not pytest's tmp_path: a concurrent pytest session may prune its numbered directories
    # while this one still serves the site from them
    holder = tempfile.TemporaryDirectory(prefix="liftlab-reports-test-")
    tmp = Path(holder.name)
    data, warehouse = _build_warehouse(tmp)
    project = _project_copy(tmp)
    for relative in STALE_FROM_A:
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text("data of warehouse A")
    build_site(warehouse, project, quiet=True)
    # served as `liftlab report --serve` does: `evidence preview`
    port = free_port()
    log = open(tmp / "preview.log", "w")  # noqa: SIM115 (closed in finally)
    server = start_preview(project, port, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, server)
        yield {
            "url": f"http://127.0.0.1:{port}/",
            "data": data,
            "warehouse": warehouse,
            "project": project,
            "tmp": tmp,
        }
    finally:
        stop_preview(server)
        log.close()
        holder.cleanup()


def _wait_for_port(port: int, server: subprocess.Popen, timeout_s: float = 120.0) -> None:
    """Until something accepts connections on 127.0.0.1:``port`` (the preview is up)."""
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"evidence preview exited with {server.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.25)
    pytest.fail(f"evidence preview did not listen on {port} within {timeout_s} s")


def _lifters(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [
            r[0]
            for r in con.execute(
                "select distinct lifter_id from rpt_lifter_lifts order by lifter_id"
            ).fetchall()
        ]


def _lifter_with_number_lines(warehouse: Path, other_than: str) -> str:
    """A lifter other than ``other_than`` (the page's default) with a number line in a
    cluster (lifter_peer_comparison) for their first lift, and for the default's first lift
    when they have it too (the Lift dropdown may keep it); one who lacks the default's
    first lift first: the page then shows their own first lift (query ``shown``), not an
    empty chart. The ids are salted hashes with this session's salt, so which lifter is
    chosen changes from run to run."""
    return _one_lifter(
        warehouse,
        "with firsts as ("
        " select lifter_id, first(lift order by n_sets desc, lift) as first_lift"
        " from rpt_lifter_lifts group by lifter_id),"
        " default_first as (select first_lift from firsts where lifter_id = $other),"
        " candidates as ("
        " select l.lifter_id, f.first_lift,"
        " bool_or(l.lift = (select first_lift from default_first)) as has_default_lift"
        " from rpt_lifter_lifts l join firsts f using (lifter_id)"
        " where l.lifter_id != $other group by l.lifter_id, f.first_lift),"
        " clustered as ("
        " select distinct lifter_id, lift from lifter_peer_comparison"
        " where cluster_id is not null)"
        " select c.lifter_id from candidates c"
        " join clustered own on own.lifter_id = c.lifter_id and own.lift = c.first_lift"
        " left join clustered kept on kept.lifter_id = c.lifter_id"
        " and kept.lift = (select first_lift from default_first)"
        " where not c.has_default_lift or kept.lifter_id is not null"
        " order by c.has_default_lift, c.lifter_id limit 1",
        {"other": other_than},
        "no second lifter of the generated warehouse has a clustered number line",
    )


def _first_lift(warehouse: Path, lifter: str) -> str:
    """The lift the page's Lift dropdown lists first for ``lifter``."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select first(lift order by n_sets desc, lift) from rpt_lifter_lifts"
            " where lifter_id = ?",
            [lifter],
        ).fetchone()[0]


def _lifts(warehouse: Path, lifter: str) -> set[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select lift from rpt_lifter_lifts where lifter_id = ?", [lifter])
        return {r[0] for r in rows.fetchall()}


def _lifter_with_profile(warehouse: Path) -> str:
    """A lifter of the coach page whose latest profile has an e1RM (their page has one)."""
    return _one_lifter(
        warehouse,
        "select p.lifter_id from rpt_lifter_lv_profile p"
        " join rpt_coach_lifters c on p.lifter_id = c.lifter_id"
        " where p.point_kind = 'profile' and p.e1rm_kg is not null"
        " order by p.lifter_id limit 1",
        {},
        "no lifter of the generated warehouse has a trusted profile",
    )


def _one_lifter(warehouse: Path, sql: str, parameters: dict, missing: str) -> str:
    """The lifter_id of the first row of ``sql`` (failing with ``missing`` when none)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(sql, parameters).fetchone()
    assert row, missing
    return row[0]


def _number_line_in_warehouse(warehouse: Path, lifter: str, lift: str) -> dict[str, dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select metric, lifter_value, cluster_p5, cluster_p25, cluster_median,"
            " cluster_p75, cluster_p95 from lifter_peer_comparison"
            " where lifter_id = ? and lift = ?",
            [lifter, lift],
        ).fetchall()
    return {
        metric: {
            "lifter": value,
            "range": [p5, p95] if p5 is not None else None,
            "quartiles": [p25, p75] if p25 is not None else None,
            "median": median,
        }
        for metric, value, p5, p25, median, p75, p95 in rows
    }


def _number_line_in_page(charts: list[dict]) -> dict[str, dict]:
    (chart,) = [c for c in charts if c["container"] == "number-line"]
    shown: dict[str, dict] = {}
    for series in chart["series"]:
        kind, _, metric = str(series["name"]).partition(":")
        entry = shown.setdefault(metric, {})
        xs = [point[0] for point in series["data"]]
        if kind == "lifter":
            entry["lifter"] = xs[0]
        elif kind in ("range", "quartiles"):
            entry[kind] = xs
        elif kind == "median":
            entry["median"] = xs[0]
    return shown


def _assert_same_number_line(page: dict[str, dict], stored: dict[str, dict]) -> None:
    assert set(page) == set(stored), f"metrics shown {sorted(page)} != stored {sorted(stored)}"
    for metric, expected in stored.items():
        shown = page[metric]
        assert math.isclose(shown["lifter"], expected["lifter"], rel_tol=1e-9), metric
        for key in ("range", "quartiles"):
            if expected[key] is None:
                assert key not in shown, metric
            else:
                assert shown[key] == pytest.approx(expected[key], rel=1e-9), (metric, key)
        if expected["median"] is not None:
            assert shown["median"] == pytest.approx(expected["median"], rel=1e-9), metric


@pytest.fixture(scope="session")
def browsed(report_site) -> dict:
    lifters = _lifters(report_site["warehouse"])
    assert len(lifters) >= 2, "the generated warehouse has fewer than two lifters to compare"
    chosen = _lifter_with_number_lines(report_site["warehouse"], other_than=lifters[0])
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    trainee = _lifter_with_profile(report_site["warehouse"])
    routes = [*PAGES, f"/lifters/{trainee}"]
    completed = subprocess.run(
        [
            "node",
            str(REPORTS / "tests" / "browse.cjs"),
            report_site["url"],
            str(ARTIFACTS),
            chosen,
            *routes,
        ],
        cwd=REPORTS,
        capture_output=True,
        text=True,
        timeout=600,  # beyond browse.cjs's own watchdog (480 s), which reports what it gathered
        check=False,
    )
    assert completed.returncode == 0, f"browser run failed:\n{completed.stderr[-4000:]}"
    result = json.loads(completed.stdout)
    result["chosen"] = chosen
    result["default"] = lifters[0]
    result["trainee"] = trainee
    return result


def _assert_loads_cleanly(page: dict, route: str) -> None:
    assert page["status"] == 200
    assert page["consoleErrors"] == [], page["consoleErrors"]
    assert page["pageErrors"] == [], page["pageErrors"]
    assert page["httpErrors"] == [], page["httpErrors"]
    assert page["offHostRequests"] == [], "the site must work offline"
    # Evidence aborts its own fetch of a prerendered query result once the page has it
    failed = [
        f
        for f in page["failedRequests"]
        if not ("/api/prerendered_queries/" in f and f.endswith("net::ERR_ABORTED"))
    ]
    assert failed == [], failed
    for marker in ("Error", "Dataset is empty", "No records"):
        assert marker not in page["text"], f"{route} shows {marker!r}"


@pytest.mark.parametrize("route", PAGES)
def test_page_loads_cleanly_with_charts(browsed: dict, route: str) -> None:
    page = browsed["pages"][route]
    _assert_loads_cleanly(page, route)
    charts = page["charts"]
    assert len(charts) >= MIN_CHARTS[route], f"{route}: {len(charts)} charts"
    for chart in charts:
        assert any(len(s["data"]) > 0 for s in chart["series"]), f"{route}: an empty chart"
    name = "index" if route == "/" else route.strip("/")
    assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000


def test_lifter_dropdown_moves_the_number_line(browsed: dict, report_site) -> None:
    lifter_page = browsed["pages"]["/lifter"]
    before, after = lifter_page["before"], lifter_page["after"]
    warehouse = report_site["warehouse"]
    assert before["lifter"] == browsed["default"]
    _assert_same_number_line(
        _number_line_in_page(before["charts"]),
        _number_line_in_warehouse(warehouse, before["lifter"], before["lift"]),
    )
    assert after["lifter"] == browsed["chosen"] != before["lifter"], lifter_page.get("chooseErrors")
    if before["lift"] not in _lifts(warehouse, after["lifter"]):
        # the lift kept from the default lifter is not theirs: the page shows their first
        assert after["lift"] == _first_lift(warehouse, after["lifter"])
    shown = _number_line_in_page(after["charts"])
    assert shown, f"the number line did not redraw: {lifter_page.get('redrawError')}"
    _assert_same_number_line(
        shown, _number_line_in_warehouse(warehouse, after["lifter"], after["lift"])
    )
    assert shown != _number_line_in_page(before["charts"])
    assert (ARTIFACTS / "lifter_changed.png").exists()


def test_no_raw_identifiers_in_the_site(report_site) -> None:
    """Only pseudonymous ids: no raw user id or device MAC of the export, and not the salt,
    in any built file of the site (reports/build), nor in the build's dbt target/, logs/ and
    quality docs (build/quality)."""
    import gzip
    import re

    # regex, not json: the export has deliberately malformed lines
    found = re.compile(r'"(?:userID|deviceIdentifier)"\s*:\s*"([^"]{6,})"')
    with gzip.open(report_site["data"], "rt", errors="replace") as text:
        raw = {m.group(1) for line in text for m in found.finditer(line)}
    assert raw, "the generated export has no user id or device identifier to look for"
    needles = [SALT.encode()] + [r.encode() for r in raw]
    site = report_site["project"] / "build"
    folders = [site] + [report_site["tmp"] / d for d in ("dbt_target", "dbt_logs", "quality_docs")]
    checked = {}
    for folder in folders:
        checked[folder.name] = 0
        for path in folder.rglob("*"):
            if not path.is_file() or path.suffix in (".wasm", ".png", ".woff", ".woff2"):
                continue
            blob = path.read_bytes()
            checked[folder.name] += 1
            for needle in needles:
                assert needle not in blob, f"{needle!r} in {path}"
    assert checked["build"] > 10 and all(checked.values()), checked


def test_the_site_ships_only_this_warehouses_data(report_site) -> None:
    """The build started from empty data folders: no file an earlier build from another
    warehouse left survives, and every data file of the site is one the manifest lists."""
    project = report_site["project"]
    assert [r for r in STALE_FROM_A if (project / r).exists()] == []
    data = project / "build" / "data"
    manifest = json.loads((data / "manifest.json").read_text())
    listed = {f.split("/", 1)[1] for files in manifest["renderedFiles"].values() for f in files}
    shipped = {p.relative_to(data.parent).as_posix() for p in data.rglob("*.parquet")}
    assert shipped and shipped == listed
    tables = {p.name for p in (data / "liftlab").iterdir()}
    assert "rpt_dropped_table" not in tables and "rpt_overview" in tables


def test_lifter_training_page_shows_the_stored_profile(browsed: dict, report_site) -> None:
    """The templated lifter page (linked from the lifter index, the coach page and the peer
    table): its load-velocity charts plot the window's sets and the e1RM as stored."""
    trainee = browsed["trainee"]
    route = f"/lifters/{trainee}"
    page = browsed["pages"][route]
    _assert_loads_cleanly(page, route)
    assert trainee in page["text"]
    with duckdb.connect(str(report_site["warehouse"]), read_only=True) as con:
        stored = dict(
            con.execute(
                "select lift, count(*) filter (where point_kind = 'set') from"
                " rpt_lifter_lv_profile where lifter_id = ? group by lift",
                [trainee],
            ).fetchall()
        )
        e1rms = dict(
            con.execute(
                "select lift, e1rm_kg from rpt_lifter_lv_profile"
                " where lifter_id = ? and point_kind = 'profile'",
                [trainee],
            ).fetchall()
        )
    charts = {c["container"]: c for c in page["charts"] if c["container"]}
    for lift, n_sets in stored.items():
        chart = charts[f"lv-chart-{lift}"]
        (points,) = [s for s in chart["series"] if s["name"] == "sets"]
        assert len(points["data"]) == n_sets, lift
        if e1rms[lift] is not None:
            (e1rm,) = [s for s in chart["series"] if str(s["name"]).startswith("e1RM")]
            assert e1rm["data"][1][0] == pytest.approx(e1rms[lift], rel=1e-9), lift
    coach = browsed["pages"]["/coach"]["text"]
    assert trainee in coach
    assert (
        f"/lifters/{trainee}" in browsed["pages"]["/lifters"]["text"]
        or trainee in (browsed["pages"]["/lifters"]["text"])
    )
