"""dbt-duckdb plugin (profiles.yml ``plugins:``): gives every cursor dbt opens the
pseudonymisation salt as the DuckDB variable ``liftlab_id_salt``
(:func:`liftlab.privacy.set_salt_variable`), so that no SQL text, artifact or log of dbt
ever holds it."""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin

from liftlab.privacy import set_salt_variable


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        set_salt_variable(conn)

    def configure_cursor(self, cursor) -> None:
        set_salt_variable(cursor)
