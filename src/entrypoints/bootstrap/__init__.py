"""Composition root: reads settings and wires every port to an adapter. This package is the only importer of
adapters; `root.open_container` assembles the shared clients (`infra`), each context (`contexts`) and the
tables of jobs and event subscribers (`src.entrypoints.jobs`, `src.entrypoints.events`)."""

from src.entrypoints.bootstrap.infra import (
    check_embedded_olap_free,
    check_processes_can_share,
    ensure_vapid_key,
    job_failures,
    migrate_database,
    migrate_olap,
    worker_redis,
)
from src.entrypoints.bootstrap.pipeline import olap_backfill, olap_consumer
from src.entrypoints.bootstrap.root import Profile, open_container

__all__ = [
    "Profile",
    "check_embedded_olap_free",
    "check_processes_can_share",
    "ensure_vapid_key",
    "job_failures",
    "migrate_database",
    "migrate_olap",
    "olap_backfill",
    "olap_consumer",
    "open_container",
    "worker_redis",
]
