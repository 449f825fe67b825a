from tests.unit.unique.stack import stack  # noqa: F401
