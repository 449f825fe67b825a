"""The jobs the benchmark workers run, one module per scenario; workers import them, never a scenario."""
