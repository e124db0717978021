"""Worker options per queue: which jobs and crons each queue runs, and the limits that bound a crash re-run."""

from __future__ import annotations

import pytest

from src.entrypoints.settings import SettingsError, load_settings
from workers.jobs import ARQ_TIMEOUT_GRACE_SECONDS
from workers.runner import GracefulWorker
from workers.settings import CRASH_RERUNS, QUEUES, queue_key, worker_options

REDIS = {"REDIS_URL": "redis://cache:6379/0", "REDIS_NAMESPACE": "acme:"}


def test_the_payments_queue_runs_capture_and_the_payments_sweeps() -> None:
    settings = load_settings({**REDIS, "CAPTURE_MAX_ATTEMPTS": "4", "WORKER_JOB_TIMEOUT_SECONDS": "7"}, env_file=None)

    sut = worker_options(settings, "payments")

    (capture,) = sut["functions"]
    assert (capture.name, capture.max_tries, capture.timeout_s, capture.keep_result_s) == (
        "capture_payment",
        4 + CRASH_RERUNS,
        7 + ARQ_TIMEOUT_GRACE_SECONDS,  # the job's own timeout is 7 s (`counted`); arq's is its backstop
        0,
    )
    assert sorted(job.name for job in sut["cron_jobs"]) == [
        "cron:acme:release_expired_holds",
        "cron:acme:void_stale_transactions",
    ]
    assert (sut["queue_name"], sut["job_timeout"], sut["rerun_margin_seconds"]) == ("acme:arq:payments", 7, 10)


def test_a_dead_workers_job_runs_again_after_its_timeouts_and_the_rerun_margin() -> None:
    settings = load_settings({**REDIS, "WORKER_JOB_TIMEOUT_SECONDS": "4", "WORKER_RERUN_MARGIN_SECONDS": "1"}, None)

    sut = GracefulWorker(**worker_options(settings, "payments"))

    assert sut.in_progress_timeout_s == 4 + ARQ_TIMEOUT_GRACE_SECONDS + 1  # arq's own margin is 10 s


def test_the_maintenance_queue_keeps_its_jobs_and_long_timeout() -> None:
    sut = worker_options(load_settings(REDIS, env_file=None), "maintenance")

    assert sorted(job.name for job in sut["cron_jobs"]) == [
        "cron:acme:forget_counted_events",
        "cron:acme:forget_processed_play_events",
        "cron:acme:privacy_sweep",
        "cron:acme:purge_idempotency_records",
        "cron:acme:purge_old_actions",
        "cron:acme:recompute_segments_on_schedule",
        "cron:acme:relay_outbox",
        "cron:acme:settle_battlepass_seasons",
        "cron:acme:settle_leaderboard_seasons",
    ]
    assert sut["queue_name"] == "acme:arq:maintenance"
    assert sut["job_timeout"] >= 300


def test_queue_keys_live_under_the_namespace() -> None:
    settings = load_settings(REDIS, env_file=None)

    assert {"maintenance", "payments"} <= set(QUEUES)
    assert {queue: queue_key(settings, queue) for queue in QUEUES} == {queue: f"acme:arq:{queue}" for queue in QUEUES}


def test_an_unknown_queue_is_refused() -> None:
    with pytest.raises(SettingsError, match="unknown queue 'emails'"):
        worker_options(load_settings(REDIS, env_file=None), "emails")


def test_a_worker_is_refused_when_jobs_run_in_the_app() -> None:
    settings = load_settings({**REDIS, "JOB_QUEUE": "in-process"}, env_file=None)

    with pytest.raises(SettingsError, match="JOB_QUEUE"):
        worker_options(settings, "payments")
