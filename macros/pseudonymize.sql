{#
    Salted, truncated SHA-256 of a personal identifier (user id, device MAC address):
    left(sha256(salt || '|' || value), 16). The salt ($LIFTLAB_ID_SALT, with a documented
    demo default) is read at run time from the DuckDB variable liftlab_id_salt, which the
    dbt-duckdb plugin liftlab.dbt_plugin sets on every connection (profiles.yml): it is never
    part of the SQL text, so compiled SQL, dbt's artifacts and logs never hold it. Without
    the variable the query fails rather than hash with no salt. liftlab.privacy.pseudonymize
    is the same function in Python (a test keeps the two equal). A null identifier stays
    null.
#}
{% macro pseudonymize(expression) -%}
    left(sha256(
        coalesce(
            getvariable('liftlab_id_salt'),
            error('the DuckDB variable liftlab_id_salt is not set (profiles.yml plugin liftlab.dbt_plugin)')
        ) || '|' || ({{ expression }})
    ), {{ pseudonym_hex_chars() }})
{%- endmacro %}


{#- The length of a pseudonym, hex characters (the test expect_column_values_to_be_pseudonyms
    reads it too; liftlab.privacy.DIGEST_HEX_CHARS is the Python side, kept equal by a test). -#}
{% macro pseudonym_hex_chars() -%}
    16
{%- endmacro %}


{#
    The identifier of the lifter of a file without user ids (the app's history object, the
    app's CSV export): one file is one lifter. Pseudonymized like a user id.
#}
{% macro file_lifter_key(source_file_name) -%}
    'file:' || {{ source_file_name }}
{%- endmacro %}
