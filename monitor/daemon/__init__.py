"""The service: ``pantau run``.

- :mod:`~monitor.daemon.service`: the daemon's life (start, leadership, signals, stop);
- :mod:`~monitor.daemon.scheduler`: the jobs' triggers and their recorded runs (APScheduler 3.x);
- :mod:`~monitor.daemon.jobs`: the jobs themselves, plain functions of the app (inbox, check, alerts,
  outbox, monev);
- :mod:`~monitor.daemon.leader`: one leader among several instances;
- :mod:`~monitor.daemon.http`: ``/metrics``, ``/healthz``, ``/readyz``; :mod:`~monitor.daemon.health`: the
  readiness decision ``/readyz`` reports;
- :mod:`~monitor.daemon.metrics` and :mod:`~monitor.daemon.collector`: the daemon's own metrics, and
  the figures that live in the database, read at scrape time (its slow and fast tiers).
"""
