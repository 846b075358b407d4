"""The check run: read the records as of a date, link them (:mod:`monitor.matching`), run the rules
(:mod:`checks`), and reconcile what they found with the stored findings, in one transaction.

- :mod:`~monitor.check.run`: ``run_check`` — the run from start to commit, its phases and timings;
- :mod:`~monitor.check.context`: the records the rules read, loaded column by column;
- :mod:`~monitor.check.forked`: the rules on two cores (a forked process and a spool);
- :mod:`~monitor.check.reconcile`: the run's findings against the stored ones (lifecycle, history);
- :mod:`~monitor.check.findings`: the findings store (queries, acknowledgements, silences);
- :mod:`~monitor.check.resolution`: why a finding was resolved, in words (each rule's ``explain``);
- :mod:`~monitor.check.process`: the check in a fresh process, for the daemon.
"""
