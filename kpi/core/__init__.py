"""The floor every domain stands on.

The store (DuckDB), periods, the KPI catalogue, councils and localities, backups and the shared chart base.
Nothing here imports a domain package.
"""
