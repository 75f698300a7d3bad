{#
    Salted, truncated SHA-256 of a personal identifier (user id, device MAC address):
    left(sha256(salt || '|' || value), 16). The salt comes from $LIFTLAB_ID_SALT with a
    documented demo default; liftlab.privacy.pseudonymize is the same function in Python
    (a test keeps the two equal). A null identifier stays null.
#}
{% macro pseudonymize(expression) -%}
    left(sha256('{{ env_var("LIFTLAB_ID_SALT", "liftlab-demo-salt") }}' || '|' || ({{ expression }})), 16)
{%- endmacro %}


{#
    The identifier of the lifter of a file without user ids (the app's history object, the
    app's CSV export): one file is one lifter. Pseudonymized like a user id.
#}
{% macro file_lifter_key(source_file_name) -%}
    'file:' || {{ source_file_name }}
{%- endmacro %}
