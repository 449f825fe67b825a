from .stack import stack  # noqa: F401
