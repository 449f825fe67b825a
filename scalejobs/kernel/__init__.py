"""What every slice shares, and nothing slice-specific.

Slices (unique, throttle, protection, ...) import the kernel and their own
modules only; where one slice needs another, it calls a public function of
that slice's ``__init__``. See docs/architecture.md.
"""
