"""Handing work to django-q2: by the task function's dotted path, once the transaction
commits, so no worker sees a row that is not committed yet and no service imports
:mod:`django_nanobanana.tasks` (the tasks import the services, never the reverse).

Two kinds of work, two clusters (docs/deployment.md): provider calls and webhooks on the
I/O cluster (``IO_QUEUE_NAME``), renditions on the CPU cluster (``CPU_QUEUE_NAME``); both
fall back to ``QUEUE_NAME``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django_q.models import Schedule
from django_q.tasks import async_task

from ..conf import nanobanana_settings


def io_queue() -> str | None:
    """The cluster of provider calls and webhooks (``IO_QUEUE_NAME``, else ``QUEUE_NAME``)."""
    return nanobanana_settings.IO_QUEUE_NAME or nanobanana_settings.QUEUE_NAME


def cpu_queue() -> str | None:
    """The cluster of renditions (``CPU_QUEUE_NAME``, else ``QUEUE_NAME``)."""
    return nanobanana_settings.CPU_QUEUE_NAME or nanobanana_settings.QUEUE_NAME


def renders_separately() -> bool:
    """True when renditions run on their own cluster (not in the generation's task)."""
    return cpu_queue() != io_queue()


@dataclass(frozen=True)
class Task:
    """A task function of :mod:`django_nanobanana.tasks`, named by its dotted path."""

    path: str
    #: django-q2 lists the task as ``nanobanana-<name>-<object id>``
    name: str
    #: renditions (the CPU cluster); otherwise a provider call or webhook (the I/O cluster)
    cpu: bool = False

    def cluster(self) -> str | None:
        return cpu_queue() if self.cpu else io_queue()


RUN_VERSION = Task("django_nanobanana.tasks.run_version", "version")
PUBLISH_VERSION = Task("django_nanobanana.tasks.publish_version", "publish", cpu=True)
RUN_DESCRIPTION = Task("django_nanobanana.tasks.run_description", "describe")
RENDER_ASSET = Task("django_nanobanana.tasks.render_asset", "render", cpu=True)
DELIVER_WEBHOOK = Task("django_nanobanana.tasks.deliver_webhook", "webhook")


def enqueue(task: Task, object_id: Any) -> str:
    """Queue ``task`` for one object now; returns the django-q2 task id."""
    options: dict[str, Any] = {"task_name": f"nanobanana-{task.name}-{object_id}"}
    cluster = task.cluster()
    if cluster:
        options["cluster"] = cluster
    return async_task(task.path, str(object_id), q_options=options)


def enqueue_on_commit(task: Task, object_id: Any) -> None:
    """Queue ``task`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, object_id))


def ensure_schedule(name: str, func: str, *, enabled: bool, **schedule: Any) -> None:
    """Create or update one of our django-q2 schedules (``func``: a task's dotted path),
    or delete it when not ``enabled`` (its setting is None)."""
    if not enabled:
        Schedule.objects.filter(name=name).delete()
        return
    Schedule.objects.update_or_create(
        name=name,
        defaults={
            "func": func,
            "repeats": -1,
            # Run by the I/O cluster when there is one (a schedule without a cluster
            # only runs on the cluster named like Q_CLUSTER["name"]).
            "cluster": io_queue(),
            **schedule,
        },
    )
