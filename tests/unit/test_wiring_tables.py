"""The wiring tables: every event consumer and every job is declared once, and the relay's map, the in-process
runner, the arq workers and the app's periodic tasks are all built from those tables."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, cast

import pytest

import src.domain
import src.entrypoints.bootstrap
from src.application.liveops.segments import RECOMPUTE_JOB
from src.application.notifications.deps import EMAIL_JOB, PUSH_JOB
from src.application.privacy.deps import ERASURE_JOB, EXPORT_JOB
from src.application.realtime.events import TRANSLATIONS
from src.application.shared.jobs import UnknownJob
from src.application.shared.outbox import BatchSubscriber
from src.application.shop.purchases import CAPTURE_JOB
from src.domain.shared.events import DomainEvent
from src.entrypoints.bootstrap.infra import job_queue
from src.entrypoints.container import Container
from src.entrypoints.events import SUBSCRIBERS, subscriber_map
from src.entrypoints.jobs import JOBS, QUEUES, InApp, job_queue_keys, queued_jobs, runs_in_app, scheduled_jobs
from src.entrypoints.settings import load_settings
from workers.jobs import cron_schedule
from workers.settings import worker_functions

ARQ = {"REDIS_URL": "redis://cache:6379/0", "REDIS_NAMESPACE": "acme:"}
IN_PROCESS = {"JOB_QUEUE": "in-process"}
# nothing is read from the container until an event or a job arrives
UNUSED_CONTAINER = cast(Container, object())


def _domain_event_types() -> set[str]:
    for module in pkgutil.walk_packages(src.domain.__path__, "src.domain."):
        importlib.import_module(module.name)
    found: set[str] = set()
    pending: list[type[DomainEvent]] = [DomainEvent]
    while pending:
        event = pending.pop()
        found.add(event.event_type)
        pending.extend(event.__subclasses__())
    return found


def test_every_subscribed_event_type_is_a_domain_event() -> None:
    subscribed = {event_type for row in SUBSCRIBERS for event_type in row.events}

    assert subscribed - _domain_event_types() == set()


def test_each_consumer_is_named_once_and_wired_once_per_event_type() -> None:
    names = [row.name for row in SUBSCRIBERS]
    assert len(names) == len(set(names))
    for row in SUBSCRIBERS:
        assert len(row.events) == len(set(row.events)), row.name

    sut = subscriber_map(UNUSED_CONTAINER)

    assert set(sut) == {event_type for row in SUBSCRIBERS for event_type in row.events}
    for event_type, consumers in sut.items():
        assert len(consumers) == len({id(consumer) for consumer in consumers}), event_type
        assert len(consumers) == sum(event_type in row.events for row in SUBSCRIBERS)


def test_a_batch_consumer_is_one_object_across_its_event_types_so_a_pass_keeps_its_order() -> None:
    sut = subscriber_map(UNUSED_CONTAINER)

    assert len({id(consumer) for consumers in sut.values() for consumer in consumers}) == len(SUBSCRIBERS)


def test_the_realtime_fan_out_is_one_batch_over_every_type_so_a_pass_keeps_its_order() -> None:
    sut = subscriber_map(UNUSED_CONTAINER)

    last = [sut[event_type][-1] for event_type in TRANSLATIONS]  # the fan-out comes after the other consumers
    assert len({id(consumer) for consumer in last}) == 1
    assert isinstance(last[0], BatchSubscriber)


def test_every_event_type_realtime_serves_reaches_it() -> None:
    row = next(row for row in SUBSCRIBERS if row.name == "realtime")

    assert (
        set(row.events)
        == set(TRANSLATIONS)
        == {
            "RewardGranted",
            "BalanceChanged",
            "AccountUpdated",
            "PurchaseUpdated",
            "NotificationCreated",
            "AnnouncementPublished",
            "StreakUpdated",
            "BattlePassLevelReached",
            "AchievementUnlocked",
            "MissionCompleted",
            "RealityCheckDue",
        }
    )


def test_signup_credits_the_bonus_before_the_welcome_email() -> None:
    order = [row.name for row in SUBSCRIBERS if "UserSignedUp" in row.events]

    assert order.index("signup_bonus") < order.index("welcome_email")


def test_each_job_has_one_name_one_handler_and_either_tries_or_a_schedule() -> None:
    names = [job.name for job in JOBS]
    assert len(names) == len(set(names))
    for job in JOBS:
        assert callable(job.run), job.name
        assert (job.max_tries is None) != (job.schedule is None), job.name
        assert job.queue in (*QUEUES, None), job.name
        # a job no worker runs must run in the app whatever the queue setting, or it would never run
        assert job.queue is not None or (job.schedule is not None and job.schedule.in_app is InApp.ALWAYS), job.name


def test_every_job_the_application_enqueues_has_a_queue() -> None:
    routes = job_queue_keys(load_settings(ARQ, env_file=None))

    jobs = {CAPTURE_JOB, PUSH_JOB, EMAIL_JOB, EXPORT_JOB, ERASURE_JOB, RECOMPUTE_JOB}
    assert set(routes) == jobs == {job.name for job in queued_jobs()}
    assert routes[RECOMPUTE_JOB] == "acme:arq:maintenance"
    assert routes[CAPTURE_JOB] == "acme:arq:payments"
    assert routes[EXPORT_JOB] == routes[ERASURE_JOB] == "acme:arq:maintenance"


def test_the_arq_workers_run_exactly_the_table() -> None:
    settings = load_settings(ARQ, env_file=None)
    functions: dict[str, Any] = {}
    crons: dict[str, Any] = {}

    for queue in QUEUES:
        queue_functions, queue_crons = worker_functions(settings, queue)
        functions |= {function.name: (queue, function) for function in queue_functions}
        crons |= {cron.name.removeprefix("cron:acme:"): (queue, cron) for cron in queue_crons}

    assert {name: queue for name, (queue, _) in functions.items()} == {job.name: job.queue for job in queued_jobs()}
    assert {name: queue for name, (queue, _) in crons.items()} == {
        job.name: job.queue for job in scheduled_jobs() if job.queue is not None
    }
    for job in queued_jobs():
        assert functions[job.name][1].max_tries == job.tries(settings)
    for job in scheduled_jobs():
        if job.queue is not None:
            assert job.schedule is not None
            assert crons[job.name][1].run_at_startup is job.schedule.run_at_startup
            assert crons[job.name][1].unique is job.schedule.unique


async def test_the_in_process_runner_runs_exactly_the_queued_jobs_of_the_table() -> None:
    settings = load_settings(IN_PROCESS, env_file=None)
    async with AsyncExitStack() as stack:
        sut, _ = job_queue(settings, None, stack, lambda: UNUSED_CONTAINER)

        for job in queued_jobs():  # queued far in the future; closing the runner cancels them
            await sut.enqueue(job.name, {}, delay_seconds=3600)
        with pytest.raises(UnknownJob):
            await sut.enqueue("void_stale_transactions", {})


def test_with_jobs_in_process_the_app_runs_every_schedule_but_the_relay_pass_it_has_a_loop_for() -> None:
    settings = load_settings(IN_PROCESS, env_file=None)

    sut = {job.name for job in scheduled_jobs() if runs_in_app(job, settings)}

    assert sut == {job.name for job in scheduled_jobs()} - {"relay_outbox"}


def test_with_jobs_on_arq_the_app_runs_only_the_purges_every_instance_repeats() -> None:
    settings = load_settings(ARQ, env_file=None)

    sut = {job.name for job in scheduled_jobs() if runs_in_app(job, settings)}

    assert sut == {"purge_idempotency_records", "forget_old_arrivals"}


@pytest.mark.parametrize(
    ("every_seconds", "minute", "fields"),
    [
        (0.2, 0, {"second": set(range(60))}),
        (1.0, 0, {"second": set(range(60))}),
        (10.0, 0, {"second": {0, 10, 20, 30, 40, 50}}),
        (30.0, 0, {"second": {0, 30}}),
        (60.0, 0, {"minute": set(range(60)), "second": 0}),
        (900.0, 7, {"minute": {7, 22, 37, 52}, "second": 0}),
        (3600.0, 17, {"minute": 17, "second": 0}),
        (7200.0, 7, {"minute": 7, "second": 0}),
        (86_400.0, 47, {"hour": 3, "minute": 47, "second": 0}),
    ],
)
def test_an_interval_becomes_the_nearest_arq_cron(every_seconds: float, minute: int, fields: dict[str, Any]) -> None:
    assert cron_schedule(every_seconds, minute) == fields


def test_the_composition_root_never_branches_on_an_adapter_type() -> None:
    modules = Path(src.entrypoints.bootstrap.__file__).parent.glob("*.py")

    type_checks = [
        f"{module.name}:{node.lineno}"
        for module in modules
        for node in ast.walk(ast.parse(module.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance"
    ]

    assert type_checks == []
