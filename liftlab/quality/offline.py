"""Great Expectations' data docs, made to render offline.

GX writes pages that load Bootstrap, jQuery, Popper, Font Awesome, bootstrap-table,
bootstrap-datepicker, Vega and two logos from public CDNs: offline the pages are a bare list
with empty tables, and online every visit calls third parties. :func:`make_offline` copies
pinned local copies of those files (the npm packages of ``vendor/package.json``, installed by
``make setup-reports``) into the docs' ``static/vendor`` folder and points every page at
them. Without the packages the docs are left as GX wrote them and the caller is told why.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent / "vendor" / "node_modules"

# A URL as GX writes it -> the file of a pinned npm package (vendor/package.json). The
# datepicker, filter-control and font files are the versions GX names; Popper is 1.16.1,
# the 1.x that Bootstrap 4.3.1 declares as its peer (GX loads 1.12.9), Vega the last 5.x.
CDN_FILES: dict[str, str] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap/dist/css/bootstrap.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap/dist/js/bootstrap.min.js"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js/dist/umd/popper.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "@fortawesome/fontawesome-free/css/all.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (  # noqa: E501
        "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (  # noqa: E501
        "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed/build/vega-embed.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (  # noqa: E501
        "@forevolve/bootstrap-dark/dist/css/bootstrap-prefers-dark.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table/dist/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table/dist/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (  # noqa: E501
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (  # noqa: E501
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (  # noqa: E501
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
}
# folders a copied stylesheet refers to (Font Awesome's css/all.min.css -> ../webfonts/)
CDN_FOLDERS = ("@fortawesome/fontawesome-free/webfonts",)
# GX's logos on S3 (with a cache-busting query): its own local copy in static/images
LOGO_URL = re.compile(
    r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/"
    r"(?:logo-long|full_logo_dark)\.png(?:\?[^\"')\s]*)?"
)
LOCAL_LOGO = Path("static") / "images" / "logo-long.png"
# what a page may still load from elsewhere after the rewrite: nothing
LOADED_URL = re.compile(
    r"""(?:src|href)\s*=\s*["'](https?://[^"']+)["']|url\(['"]?(https?://[^'")]+)"""
)


class AssetsMissing(RuntimeError):
    """The pinned packages are not installed (run `make setup-reports`)."""


def missing_assets(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """The package files :data:`CDN_FILES` needs that are not installed."""
    wanted = [*CDN_FILES.values(), *CDN_FOLDERS]
    return [name for name in wanted if not (vendor_dir / name).exists()]


def copy_assets(docs_dir: Path, vendor_dir: Path = VENDOR_DIR) -> Path:
    """Copy the pinned files into ``docs_dir/static/vendor`` (the package layout kept, so
    that a stylesheet's relative font paths still resolve); the vendor folder."""
    missing = missing_assets(vendor_dir)
    if missing:
        raise AssetsMissing(
            f"data docs left online-only: {len(missing)} pinned asset(s) missing under "
            f"{vendor_dir} (e.g. {missing[0]}); run `make setup-reports`"
        )
    target = docs_dir / "static" / "vendor"
    for name in CDN_FILES.values():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(vendor_dir / name, target / name)
    for name in CDN_FOLDERS:
        shutil.copytree(vendor_dir / name, target / name, dirs_exist_ok=True)
    return target


def rewrite(text: str, prefix: str) -> str:
    """``text`` (a page or stylesheet) with every CDN URL replaced by its local copy;
    ``prefix`` is the relative path from the file's folder to the docs root ('' or '../')."""
    for url, name in CDN_FILES.items():
        text = text.replace(f'"{url}"', f'"{prefix}static/vendor/{name}"')
        text = text.replace(f"'{url}'", f"'{prefix}static/vendor/{name}'")
    return LOGO_URL.sub(f"{prefix}{LOCAL_LOGO.as_posix()}", text)


def remote_loads(text: str) -> list[str]:
    """URLs a page or stylesheet would still load from the network (links to read are
    fine: ``<a href>`` is skipped)."""
    text = re.sub(r"<a\s[^>]*>", "", text)
    return [a or b for a, b in LOADED_URL.findall(text)]


def make_offline(docs_dir: Path, vendor_dir: Path = VENDOR_DIR) -> int:
    """Copy the assets and rewrite every page and stylesheet under ``docs_dir``; the number
    of files rewritten. Raises :class:`AssetsMissing` (nothing changed) without them."""
    copy_assets(docs_dir, vendor_dir)
    rewritten = 0
    vendor = docs_dir / "static" / "vendor"
    for path in sorted(docs_dir.rglob("*")):
        if path.suffix not in (".html", ".css") or vendor in path.parents:
            continue
        relative = os.path.relpath(docs_dir, path.parent)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        text = path.read_text(encoding="utf-8")
        new = rewrite(text, prefix)
        if new != text:
            path.write_text(new, encoding="utf-8")
            rewritten += 1
    return rewritten
