"""What tests share: a fixed clock, a host app for one screen, ``settle``, world builders.

Test modules import from here, never from each other.
"""
