{#
    Regular expression of a device MAC address (aa:bb:cc:dd:ee:ff, also with dashes), as a
    SQL string literal: what redact_personal_data masks and what the privacy test looks
    for. liftlab.privacy.MAC_ADDRESS_PATTERN is the same pattern in Python; a test keeps
    the two equal.
#}
{% macro mac_address_pattern() -%}
    '([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}'
{%- endmacro %}
