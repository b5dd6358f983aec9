"""Typer command groups; :mod:`phoner.cli` composes them into one app."""
