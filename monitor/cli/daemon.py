"""CLI commands for this area (placeholder: filled in by the area's work)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    pass
