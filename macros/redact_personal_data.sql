{#
    Text of a raw record with personal data masked, for rejected_records: device MAC
    addresses (aa:bb:cc:dd:ee:ff, also with dashes) and the value of any userID field.
    Long texts are cut to max_chars (the byte length of the original stays known).
#}
{% macro redact_personal_data(expression, max_chars=4000) -%}
    left(
        regexp_replace(
            regexp_replace(
                {{ expression }},
                {{ mac_address_pattern() }},
                '<redacted-mac>',
                'g'
            ),
            '("userID"\s*:\s*)("(\\.|[^"\\])*"|[^,}\]]*)',
            '\1"<redacted-user-id>"',
            'g'
        ),
        {{ max_chars }}
    )
{%- endmacro %}
