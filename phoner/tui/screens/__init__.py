"""Screens of the phoner TUI: start, call view, call list, FAQ, call-back picker, ..."""
