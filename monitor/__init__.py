"""Pantau: Jakon compliance monitoring for Indonesian local government.

The house, from the floor up (each package's docstring says more):

- the platform, at this top level: :mod:`.settings`, :mod:`.db`, :mod:`.models` (the schema) and
  :mod:`.migrations`, :mod:`.bootstrap` (builds the app; nothing happens on import), :mod:`.logs`;
- the domain's records: :mod:`.records` (what the check reads and what a rule yields);
- :mod:`.regulation`: the premium tariff, working days and the Indonesian wording;
- :mod:`.compute`: columnar tables and work in other processes;
- :mod:`.ingest`: files in, rows validated, rejects kept; :mod:`.matching`: contracts to registrations;
- the rules live outside, in the top-level :mod:`checks` package; the e-mails in :mod:`alerts`;
- :mod:`.check`: the check run (load, match, rules, reconcile, the findings store);
- :mod:`.daemon`: the service (scheduler, jobs, leader, HTTP, metrics);
- :mod:`.cli` and :mod:`.demo`: the command line and the demo year.
"""

__version__ = "0.1.0"
