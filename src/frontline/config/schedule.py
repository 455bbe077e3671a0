"""Every periodic job, in one place.

Each entry runs its ``django.tasks`` Task once per ``interval`` seconds, however many workers
run (see ``frontline.core.scheduling``). Windows are aligned on the Unix epoch, so a daily job
runs at the first scheduler tick after 00:00 UTC (or soon after the first worker starts).
``FRONTLINE_EXTRA_SCHEDULE`` adds entries without a code change (docs/operations.md).
"""

from frontline.core.scheduling import ScheduleEntry

DAY = 24 * 60 * 60

SCHEDULE: list[ScheduleEntry] = [
    ScheduleEntry("clear-expired-sessions", "frontline.core.tasks.clear_expired_sessions", DAY),
    ScheduleEntry("prune-task-results", "frontline.core.tasks.prune_task_results", DAY),
    ScheduleEntry("prune-scheduled-runs", "frontline.core.tasks.prune_scheduled_runs", DAY),
    ScheduleEntry("refresh-database-statistics", "frontline.core.tasks.refresh_database_statistics", DAY),
    # Cases: SLA warnings, breaches and escalation levels; unanswered resolution follow-ups.
    ScheduleEntry("cases-sla-sweep", "frontline.cases.tasks.sla_sweep", 60),
    ScheduleEntry("cases-follow-up-sweep", "frontline.cases.tasks.follow_up_sweep", 10 * 60),
    # Shipping: poll the shipments due, per carrier interval; the time-based exception rules R4-R7.
    ScheduleEntry("shipping-tracking-poll", "frontline.shipping.tasks.tracking_poll", 60),
    ScheduleEntry("shipping-exception-sweep", "frontline.shipping.tasks.exception_sweep", 5 * 60),
]
