"""Write the app's CSV export of a history export, as the OpenBarbell app does.

Follows squatsandsciencelabs/OpenBarbellApp ``app/utility/transforms/CSVConverter.js``
(header with ``Tags``, ``toLocaleString()`` start times, ``HH:MM:SS.m`` rest) and the earlier
``app/utility/CSVConverter.js`` (no ``Tags``, the set's own start time text, rest in
milliseconds), with the measurements through ``RepDataMap.parseData``: JavaScript's
``toFixed(2)``, ``.00`` dropped, one trailing zero cut, ``null`` for a missing field,
``Infinity`` / ``NaN`` as JavaScript prints them, the duration in µs / 1e6 (0 for V1).

The earlier converter wrote ``set.startTime``, a field the sets of the exports in
``../shared`` no longer have (it would print ``undefined``); this writer uses the set's
start time as the later app computes it, as ISO text, in its place.

    python tests/python/_app_csv.py EXPORT.json OUT.csv [--version tags|no_tags]
        [--locale en-US|en-GB|de-DE|fr-FR|iso]
"""

from __future__ import annotations

import argparse
import json
import math
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from liftlab.app_csv import HEADER_WITH_TAGS, HEADER_WITHOUT_TAGS

POSITIONS = {"mean": 2, "rom": 3, "peak": 4, "location": 5, "duration": 7}
LOCALES = ("en-US", "en-GB", "de-DE", "fr-FR", "iso")


def js_number(value: float | int) -> str:
    """A number as JavaScript's ``String(number)`` prints it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    x = float(value)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    if 1e-7 <= abs(x) < 1e21:  # positional, shortest round-trip digits
        return format(Decimal(repr(x)), "f")
    mantissa, exponent = f"{x!r}".split("e")
    sign = "-" if exponent.startswith("-") else "+"
    return f"{mantissa.removesuffix('.0')}e{sign}{exponent.lstrip('+-').lstrip('0')}"


def js_value(value) -> str:
    """``escapeDoubleQuote(value)`` then string concatenation, as the converter writes a
    set field: strings quoted with ``""`` escaping, the rest as JavaScript prints them."""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if value is None:
        return "null"
    return js_number(value)


def js_parse_float(text) -> float:
    """JavaScript's ``parseFloat`` of a device array element (the longest numeric prefix)."""
    import re

    match = re.match(r"\s*([+-]?(Infinity|\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?))", str(text))
    return float(match.group(1)) if match else math.nan


def to_fixed_2(x: float) -> str:
    """``Number.prototype.toFixed(2)`` (exact value, ties away from zero)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if abs(x) >= 1e21:
        return js_number(x)
    return str(Decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def parse_data(data: list, position: int) -> str | None:
    """``RepDataMap.parseData``."""
    if len(data) < position + 1:
        return None
    text = to_fixed_2(js_parse_float(data[position])).replace(".00", "", 1)
    if "." in text and text.endswith("0"):
        text = text[:-1]
    return text


def duration_text(data: list) -> str:
    """``RepDataMap.durationOfLift(data) / 1000000`` as JavaScript prints it."""
    if parse_data(data, 0) == "-1234":
        return "0"
    value = parse_data(data, POSITIONS["duration"])
    if value is None:
        return "0"
    return js_number(js_parse_float(value) / 1_000_000)


def valid_reps(set_doc: dict) -> list[dict]:
    reps = set_doc.get("reps") or []
    return [r for r in reps if r.get("removed") is False and r.get("isValid") is True]


def set_start(set_doc: dict) -> str | None:
    """``SetTimeCalculator.startTime``."""
    if "startTime" in set_doc:
        return set_doc["startTime"]
    reps = valid_reps(set_doc)
    return reps[0].get("time") if reps else set_doc.get("initialStartTime")


def set_end(set_doc: dict) -> str | None:
    if "endTime" in set_doc:
        return set_doc["endTime"]
    reps = valid_reps(set_doc)
    return reps[-1].get("time") if reps else None


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def locale_string(moment: datetime, locale: str) -> str:
    """``new Date(..).toLocaleString()`` in ``locale`` (time zone UTC)."""
    d, t = moment, moment.strftime("%H:%M:%S")
    if locale == "en-US":
        hour = d.hour % 12 or 12
        return f"{d.month}/{d.day}/{d.year}, {hour}:{d:%M:%S} {'PM' if d.hour >= 12 else 'AM'}"
    if locale == "en-GB":
        return f"{d:%d/%m/%Y}, {t}"
    if locale == "de-DE":
        return f"{d.day}.{d.month}.{d.year}, {t}"
    if locale == "fr-FR":
        return f"{d:%d/%m/%Y} {t}"
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def rest_clock(ms: float) -> str:
    """``DateUtils.restInClockFormat``."""
    tenths = int((ms % 1000) / 100)
    seconds, minutes, hours = int(ms / 1000 % 60), int(ms / 60_000 % 60), int(ms / 3_600_000 % 24)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{tenths}"


def history_sets(export: dict | list) -> list[dict]:
    """The history's sets in time order, as the app passes them to the converter."""
    sets = list(export.values()) if isinstance(export, dict) else list(export)
    return sorted(sets, key=lambda s: (set_start(s) or "", s.get("setID") or ""))


def convert(export: dict | list, *, with_tags: bool = True, locale: str = "en-US") -> str:
    """The CSV text the app exports for ``export`` (a history object or a list of sets)."""
    lines = [HEADER_WITH_TAGS if with_tags else HEADER_WITHOUT_TAGS]
    last_workout = last_exercise = last_end = workout_start = None
    set_count = 1
    for set_doc in history_sets(export):
        if set_doc.get("removed") is not False or not set_doc.get("reps"):
            continue
        if last_workout is None or last_workout != set_doc.get("workoutID"):
            last_workout = set_doc.get("workoutID")
            start = set_start(set_doc)
            workout_start = locale_string(parse_iso(start), locale if with_tags else "iso")
            last_exercise = last_end = None
        exercise = set_doc.get("exercise")
        set_count = set_count + 1 if last_exercise is not None and last_exercise == exercise else 1
        last_exercise = exercise
        if last_end is not None:
            ms = (parse_iso(set_start(set_doc)) - parse_iso(last_end)).total_seconds() * 1000
            rest = js_value(rest_clock(ms)) if with_tags else js_number(ms)
        else:
            rest = '"00:00:00"'
        last_end = set_end(set_doc)
        tags = ",".join(set_doc.get("tags") or [])
        head = [js_value(exercise), str(set_count), None, js_value(set_doc.get("weight"))]
        head += [js_value(set_doc.get("metric")), js_value(set_doc.get("rpe"))]
        if with_tags:
            head.append(js_value(tags))
        head += [js_value(workout_start), rest]
        for index, rep in enumerate(valid_reps(set_doc), start=1):
            data = rep.get("data") or []
            values = [parse_data(data, POSITIONS[k]) for k in ("mean", "rom", "peak", "location")]
            measured = [v if v is not None else "null" for v in values]
            row = [*head[:2], str(index), *head[3:], *measured, duration_text(data)]
            lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--version", choices=("tags", "no_tags"), default="tags")
    parser.add_argument("--locale", choices=LOCALES, default="en-US")
    args = parser.parse_args()
    export = json.loads(args.export.read_text())
    text = convert(export, with_tags=args.version == "tags", locale=args.locale)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
