{#
    Reading the app's CSV export (liftlab/app_csv.py lands one raw row per line). The app
    writes strings double-quoted with "" escaping and everything else bare, as JavaScript
    prints it: numbers, `null` (a missing field), `undefined`, `NaN`, `Infinity`.
#}

{#- the fields of a CSV line, each with its quotes (a quoted field may hold commas) -#}
{% macro app_csv_fields(line) -%}
    regexp_extract_all({{ line }} || ',', '("(?:[^"]|"")*"|[^,"]*),', 1)
{%- endmacro %}


{#- whether the fields (app_csv_fields) spell the whole line: false for a stray quote -#}
{% macro app_csv_fields_cover(fields, line) -%}
    coalesce(list_sum(list_transform({{ fields }}, lambda f: len(f) + 1)), 0) = len({{ line }}) + 1
{%- endmacro %}


{#- whether a field was written quoted (a JavaScript string) -#}
{% macro app_csv_is_quoted(field) -%}
    (len({{ field }}) >= 2 and starts_with({{ field }}, '"') and ends_with({{ field }}, '"'))
{%- endmacro %}


{#- a field's text: unquoted and unescaped; null for a bare null, undefined or nothing -#}
{% macro app_csv_text(field) -%}
    case
        when {{ app_csv_is_quoted(field) }}
            then replace(substring({{ field }}, 2, len({{ field }}) - 2), '""', '"')
        when trim({{ field }}) not in ('', 'null', 'undefined') then trim({{ field }})
    end
{%- endmacro %}


{#-
    The JSON type the field's value had in the app (for the parsing rules the JSON shapes
    share): a quoted field was a string, a bare number a number, a bare null / undefined /
    nothing a null; any other bare text is taken as a string (so that it is parsed, and
    flagged, like one).
-#}
{% macro app_csv_value_type(field) -%}
    case
        when {{ app_csv_is_quoted(field) }} then 'VARCHAR'
        when trim({{ field }}) in ('', 'null', 'undefined') then 'NULL'
        when try_cast(trim({{ field }}) as double) is not null then 'DOUBLE'
        else 'VARCHAR'
    end
{%- endmacro %}


{#-
    A measurement as the app printed it (RepDataMap.parseData: two decimals, `NaN`,
    `Infinity`): a double, null when the app printed null (a missing field); a field that is
    no number at all is also null here, and app_csv_is_bad_number says so.
-#}
{% macro app_csv_number(field) -%}
    try_cast({{ app_csv_text(field) }} as double)
{%- endmacro %}


{% macro app_csv_is_bad_number(field) -%}
    ({{ app_csv_text(field) }} is not null and {{ app_csv_number(field) }} is null)
{%- endmacro %}


{#-
    The parts of a workout start time as JavaScript's toLocaleString() wrote it: three date
    numbers (`2/9/2018`, `09/02/2018`, `9.2.2018`, `2018/2/9`, `2018. 2. 9.`), a time
    (`6:01:24`, `18:01`) and an optional AM/PM marker before or after it (`PM`, `p.m.`,
    `下午`, `오후`); spaces may be no-break or narrow no-break spaces (newer ICU).
-#}
{% macro app_csv_locale_time_parts(text) -%}
    regexp_extract(
        {{ text }},
        '^[\s\x{00A0}\x{202F}]*(\d{1,4})[\s.]*[./-][\s\x{00A0}\x{202F}]*(\d{1,2})[\s.]*[./-][\s\x{00A0}\x{202F}]*(\d{1,4})\.?,?[\s\x{00A0}\x{202F}]+'
        || '(上午|下午|오전|오후|[AaPp]\.?[Mm]\.?)?[\s\x{00A0}\x{202F}]*'
        || '(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?'
        || '[\s\x{00A0}\x{202F}]*(上午|下午|오전|오후|[AaPp]\.?[Mm]\.?)?[\s\x{00A0}\x{202F}]*$',
        ['first', 'second', 'third', 'marker_before', 'hour', 'minute', 'second_of_minute', 'marker_after']
    )
{%- endmacro %}


{#- the landed shapes of the app's CSV (liftlab/app_csv.py SHAPES), as a SQL list -#}
{% macro app_csv_shapes() -%}
    ('app_csv', 'app_csv_tags')
{%- endmacro %}
