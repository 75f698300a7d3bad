{#
    The staging models are incremental by landed file (issue 16): landing gives every file
    a load_sequence and replaces a changed file whole (its rows deleted, the new ones under a
    new sequence), so a staging row is current exactly while its load_sequence is in
    raw.set_documents. An incremental run stages the files not staged yet (rows of a
    load_sequence this table does not hold) and deletes the rows of files that are gone
    (replaced, or landed with nothing this time); dbt's delete+insert keyed on source_file
    then swaps a replaced file's rows whole. A full build (a new warehouse file, or
    --full-refresh) stages everything, and so does an incremental run with var
    staging_restage (liftlab/restage.py). The sequences only grow while files are added
    on top (`liftlab build --append`); a raw layer rebuilt in place (landing's replace_all
    into a warehouse that keeps its staging tables) numbers from 1 again and needs
    --full-refresh: `liftlab build` never does that (a full build starts a new file).
#}

{% macro is_file_not_staged_yet() -%}
    {#- var staging_restage (set by `liftlab build --append` when the staging code, the vars
        or the salt changed since the last build: liftlab/restage.py) stages every file -#}
    {%- if is_incremental() and not var('staging_restage') -%}
        load_sequence not in (select distinct load_sequence from {{ this }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro delete_rows_of_files_no_longer_landed() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where load_sequence not in (
            select distinct load_sequence from {{ source('openbarbell', 'set_documents') }}
        )
    {%- endif -%}
{%- endmacro %}
