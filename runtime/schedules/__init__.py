"""Schedules: EventBridge Scheduler's schedules, fired by exactly one scheduler at a time.

``expressions`` parses ``cron(...)``, ``rate(...)`` and ``at(...)`` and computes occurrences in a
time zone; ``requests`` turns a CreateSchedule/UpdateSchedule request (from boto3, the CLI or a
template) into a :class:`~runtime.stores.schedules.ScheduleRecord`; ``firing`` is the scheduler
that holds the store's lease and starts the executions each occurrence asks for.
"""
