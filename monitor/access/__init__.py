"""Who may see and do what: web accounts (Argon2 passwords, throttled logins), the signed OPD links the
digests carry, and the roles. Below :mod:`alerts` (which signs the links it sends) and
:mod:`monitor.web` (which checks them on every request); it reads only the platform's models.
"""
