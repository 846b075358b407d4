"""The regulation's arithmetic and words, with no database and no rules: the Jakon premium tariff
(:mod:`~monitor.regulation.premium`), working days and the registration deadline
(:mod:`~monitor.regulation.workdays`), and rupiah, dates and percentages written the Indonesian way
(:mod:`~monitor.regulation.wording`).
"""
