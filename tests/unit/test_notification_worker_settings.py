"""The notifications queue: its send jobs, the campaign dispatcher every second on every worker, retention."""

from __future__ import annotations

from src.entrypoints.jobs import job_queue_keys
from src.entrypoints.settings import load_settings
from workers.settings import QUEUES, worker_options

REDIS = {"REDIS_URL": "redis://cache:6379/0", "REDIS_NAMESPACE": "acme:"}


def test_the_notifications_queue_runs_push_and_email_sends_and_its_crons() -> None:
    settings = load_settings({**REDIS, "NOTIFICATION_MAX_ATTEMPTS": "4"}, env_file=None)

    sut = worker_options(settings, "notifications")

    assert sorted((job.name, job.max_tries, job.keep_result_s) for job in sut["functions"]) == [
        ("send_email", 4, 0),
        ("send_push", 4, 0),
    ]
    crons = {job.name: job for job in sut["cron_jobs"]}
    assert set(crons) == {"cron:acme:dispatch_campaigns", "cron:acme:purge_notifications"}
    dispatch = crons["cron:acme:dispatch_campaigns"]
    assert (dispatch.unique, dispatch.second) == (False, set(range(60)))  # every worker, every second
    assert crons["cron:acme:purge_notifications"].unique is True
    assert sut["queue_name"] == "acme:arq:notifications"


def test_sends_are_routed_to_the_notifications_queue() -> None:
    settings = load_settings(REDIS, env_file=None)

    routes = job_queue_keys(settings)

    assert "notifications" in QUEUES
    assert (routes["send_push"], routes["send_email"]) == ("acme:arq:notifications", "acme:arq:notifications")
