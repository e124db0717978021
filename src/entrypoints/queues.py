"""Worker queues (one per concern) and which queue runs each job the application enqueues."""

from __future__ import annotations

from src.entrypoints.settings import Settings

QUEUES = ("maintenance", "payments", "notifications")
JOB_QUEUES = {"capture_payment": "payments", "send_push": "notifications", "send_email": "notifications"}


def queue_key(settings: Settings, queue: str) -> str:
    """The Redis key of a queue: under REDIS_NAMESPACE, so deployments sharing a Redis keep their jobs apart."""
    return f"{settings.redis_namespace}arq:{queue}"


def job_queue_keys(settings: Settings) -> dict[str, str]:
    return {job: queue_key(settings, queue) for job, queue in JOB_QUEUES.items()}
