"""Connections for the set-based calculation engine (Ibis).

The same relational expressions run where the data lives: the OLTP store itself (SQLite or
PostgreSQL), DuckDB over Parquet for bulk history, or a local/cluster Spark session when a
company outgrows one machine. Capabilities write expressions against table *names* and ask
this module for a backend; they never care which one it is.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import ibis
from ibis.backends import BaseBackend
from sqlalchemy.engine import make_url

__all__ = ["ENGINES", "connect_parquet", "connect_store", "to_rows"]

ENGINES = ("store", "duckdb", "spark")


def connect_store(database_url: str) -> BaseBackend:
    """An Ibis backend on the OLTP store named by a SQLAlchemy URL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return ibis.sqlite.connect(url.database or ":memory:")
    if url.get_backend_name() == "postgresql":
        return ibis.postgres.connect(
            host=url.host or "localhost",
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            database=url.database,
        )
    raise ValueError(f"no calculation engine for {url.get_backend_name()}")


def connect_parquet(folder: Path, engine: str = "duckdb", tables: list[str] | None = None) -> BaseBackend:
    """DuckDB (default) or Spark over a folder of ``<table>.parquet`` files (or folders)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"no Parquet folder at {folder}")
    names = tables or sorted(p.stem for p in folder.glob("*.parquet"))
    if engine == "duckdb":
        con = ibis.duckdb.connect()
        for name in names:
            con.read_parquet(str(folder / f"{name}.parquet"), table_name=name)
        return con
    if engine == "spark":
        session = spark_session()
        con = ibis.pyspark.connect(session)
        for name in names:
            con.read_parquet(str(folder / f"{name}.parquet"), table_name=name)
        return con
    raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")


def spark_session(app_name: str = "chanli") -> Any:
    """A local Spark session tuned for a 2-core machine (settings measured in STACK.md)."""
    from pyspark.sql import SparkSession  # optional dependency: only when --engine spark

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    warehouse = tempfile.mkdtemp(prefix="chanli-spark-")
    return (
        SparkSession.builder.appName(app_name)
        .master(os.environ.get("CHANLI_SPARK_MASTER", "local[2]"))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", os.environ.get("CHANLI_SPARK_DRIVER_MEMORY", "1g"))
        .config("spark.sql.warehouse.dir", warehouse)
        .getOrCreate()
    )


def to_rows(expr: Any) -> list[dict[str, Any]]:
    """Execute an expression into plain rows (Decimals stay Decimals), without pandas."""
    return expr.to_pyarrow().to_pylist()  # type: ignore[no-any-return]
