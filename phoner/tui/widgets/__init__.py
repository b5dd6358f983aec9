"""Widgets of the phoner TUI, one module each (messages they send are nested classes)."""
