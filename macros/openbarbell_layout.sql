{#
    The one description of the OpenBarbell device array, by firmware version
    (../shared/docs/openbarbell-format.md). Indexes are the format doc's 0-based positions;
    DuckDB lists are 1-based, so element i is values[i + 1]. Every decoding expression is
    generated from this mapping: there is no SQL written per version.

    - flag: element 0, the version flag
    - settings_flag_index: where the -9999 settings flag must sit for the array to be complete
    - the bulk-start flag (-9876) sits 3 after the settings flag, bulk data follows it, then
      -6789 (bulk end) and the battery charge
    - fields: named, unit-suffixed columns and their index; a field a version does not
      measure is absent from its mapping and decodes to null (V2's -2121 peak acceleration
      placeholder, V1's missing duration)
#}
{% macro openbarbell_layouts() -%}
    {%- set common_v2_v3 = {
        'rep_number': 1,
        'mean_velocity_m_s': 2,
        'rom_mm': 3,
        'peak_velocity_m_s': 4,
        'peak_velocity_location_pct': 5,
        'duration_us': 7,
        'rest_before_rep_min': 8,
        'device_timestamp_us': 9,
        'within_rep_wait_us': 10,
        'slowest_allowed_tick_us': 11,
        'backlight_time_s': 12,
        'minimum_rep_length_um': 13,
        'data_compression_flag': 14,
        'filtering_flag': 15,
        'firmware_version': 16,
        'device_unit_number': 17,
    } -%}
    {%- set v3_fields = dict(common_v2_v3) -%}
    {%- do v3_fields.update({
        'peak_acceleration_m_s2': 6,
        'led_colour_code': 18,
        'brightness_pct': 19,
        'low_power_brightness_pct': 20,
        'ticks_precision': 22,
        'tick_difference_precision': 23,
    }) -%}
    {%- set v2_fields = dict(common_v2_v3) -%}
    {%- do v2_fields.update({
        'ticks_precision': 19,
        'tick_difference_precision': 20,
    }) -%}
    {%- set v1_fields = {
        'rep_number': 1,
        'mean_velocity_m_s': 2,
        'rom_mm': 3,
        'peak_velocity_m_s': 4,
        'peak_velocity_location_pct': 5,
        'ticks_precision': 7,
        'tick_difference_precision': 8,
    } -%}
    {{- return({
        'V3': {'flag': -3456, 'settings_flag_index': 21, 'fields': v3_fields},
        'V2': {'flag': -2345, 'settings_flag_index': 18, 'fields': v2_fields},
        'V1': {'flag': -1234, 'settings_flag_index': 6, 'fields': v1_fields},
    }) -}}
{%- endmacro %}


{#- every field name any version decodes, in a stable order -#}
{% macro openbarbell_field_names() -%}
    {%- set names = [] -%}
    {%- for version, layout in openbarbell_layouts().items() -%}
        {%- for name in layout['fields'] -%}
            {%- if name not in names -%}{%- do names.append(name) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{- return(names) -}}
{%- endmacro %}


{#- the version name ('V1', 'V2', 'V3') of a flag value; null for an unknown flag -#}
{% macro openbarbell_version(flag_expression) -%}
    case {{ flag_expression }}
        {%- for version, layout in openbarbell_layouts().items() %}
        when {{ layout['flag'] }} then '{{ version }}'
        {%- endfor %}
    end
{%- endmacro %}


{#- a per-version lookup: the value of layout[key] (or, with a field, its index) + offset -#}
{% macro openbarbell_position(version_expression, key, offset=0) -%}
    case {{ version_expression }}
        {%- for version, layout in openbarbell_layouts().items() %}
        when '{{ version }}' then {{ layout[key] + offset }}
        {%- endfor %}
    end
{%- endmacro %}


{#- one decoded field: values[index + 1] for the versions that measure it, else null -#}
{% macro openbarbell_field(values, version_expression, field) -%}
    {%- set branches = [] -%}
    {%- for version, layout in openbarbell_layouts().items() -%}
        {%- if field in layout['fields'] -%}
            {%- do branches.append((version, layout['fields'][field])) -%}
        {%- endif -%}
    {%- endfor -%}
    case {{ version_expression }}
        {%- for version, index in branches %}
        when '{{ version }}' then {{ values }}[{{ index + 1 }}]
        {%- endfor %}
    end
{%- endmacro %}
