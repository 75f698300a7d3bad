{#
    Rules for JSON as exported by other tools than the app, applied in staging before a
    document or rep is read.

    mongo_extended_json_as_values: MongoDB extended JSON (mongoexport, relaxed or canonical)
    wraps values in one-key objects. Each wrapper is replaced by its value in the text:
    {"$oid": "5c79..."} and {"$date": "2019-03-01T10:00:00Z"} by the string,
    {"$numberInt" | "$numberLong" | "$numberDouble" | "$numberDecimal": "12.5"} by the
    bare number (NaN / Infinity / -Infinity by the bare token, read as non-finite as
    elsewhere). {"$date": {"$numberLong": "<ms>"}} becomes {"$date": <ms>}, which
    json_timestamp() reads. A wrapper whose inner value is not of that form stays an object
    (and is judged as any other object in that field). Quotes inside strings are escaped
    in JSON, so text inside a string value is never taken for a wrapper. Text without
    '"$' is returned untouched (no regular expression runs).
#}
{% macro mongo_extended_json_as_values(text) -%}
    case
        when contains({{ text }}, '"$')
            then regexp_replace(
                regexp_replace(
                    {{ text }},
                    '\{\s*"\$number(?:Int|Long|Double|Decimal)"\s*:\s*"(-?(?:[0-9][0-9.eE+-]*|Infinity|NaN))"\s*\}',
                    '\1',
                    'g'
                ),
                '\{\s*"\$(?:oid|date)"\s*:\s*("[^"\\]*")\s*\}',
                '\1',
                'g'
            )
        else {{ text }}
    end
{%- endmacro %}

{#
    A timestamp (UTC, without time zone) from a JSON value: an ISO string (as the app
    writes it), or MongoDB's canonical {"$date": <milliseconds since the epoch>}.
#}
{% macro json_timestamp(value) -%}
    coalesce(
        try_cast({{ value }} ->> '$' as timestamptz) at time zone 'UTC',
        epoch_ms(try_cast(json_extract_string({{ value }}, '$."$date"') as bigint))
    )
{%- endmacro %}

{#
    The keys that occur more than once in the top-level object `json_text`, sorted (an
    empty list when none does, or when the text is not an object; the pairwise count runs
    only when a key is repeated). JSON leaves duplicate keys
    undefined; liftlab quarantines the object (reason `duplicate_key`) rather than pick one.
#}
{% macro duplicate_json_keys(json_text) -%}
    case
        when len(json_keys({{ json_text }})) = len(list_distinct(json_keys({{ json_text }})))
            then []::varchar[]
        else list_sort(
            list_filter(
                list_distinct(json_keys({{ json_text }})),
                lambda key: len(
                    list_filter(json_keys({{ json_text }}), lambda other: other = key)
                ) > 1
            )
        )
    end
{%- endmacro %}
