"""Run one benchmark scenario: ``python -m bench <scenario> [--quick] [--report PATH] [--redis-url URL] ...``.

``python -m bench --list`` names the scenarios; ``python -m bench
<scenario> --help`` shows its options. The runner starts the Redis of the
run (an embedded Valkey unless ``--redis-url`` or ``$REDIS_URL`` names
one), sets Django up on ``bench.settings`` with the scenario's overrides,
runs it, prints its report and writes it to ``--report``: by default
``bench/results/<scenario>.md``, or ``<scenario>_quick.md`` with
``--quick``, so that a quick pass never replaces the figures the docs quote.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from types import ModuleType

from bench.scenarios import SCENARIOS


def main(argv: list[str] | None = None) -> None:
    listing = "\n".join(f"  {name:<{max(map(len, SCENARIOS))}}  {scenario.description}" for name, scenario in SCENARIOS.items())
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        usage="python -m bench (--list | <scenario> [--quick] [--report PATH] [--redis-url URL] [scenario options])",
        description="Run one benchmark scenario; python -m bench <scenario> --help shows its options.",
        epilog="scenarios:\n" + listing,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    parser.add_argument("--list", action="store_true", help="name the scenarios and stop")
    parser.add_argument("scenario", nargs="?", choices=list(SCENARIOS), metavar="scenario")
    chosen, rest = parser.parse_known_args(argv)
    if chosen.list:
        print(listing)
        return
    if chosen.scenario is None:
        parser.print_help()
        sys.exit(0 if {"-h", "--help"} & set(rest) else 2)
    scenario = SCENARIOS[chosen.scenario]
    module = scenario.load()
    run(scenario.name, module, _options(scenario.name, scenario.description, module, rest))


def _options(name: str, description: str, module: ModuleType, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m bench {name}", description=description)
    parser.add_argument("--quick", action="store_true", help="the smallest run: " + (", ".join(f"{k}={v}" for k, v in module.QUICK.items()) or "see the scenario"))
    parser.add_argument("--report", type=Path, help=f"where to write the report (default bench/results/{name}.md, {name}_quick.md with --quick)")
    parser.add_argument("--redis-url", help="benchmark against this Redis, flushing it (default: $REDIS_URL, else an embedded Valkey)")
    module.add_arguments(parser)
    options = parser.parse_args(argv)
    if options.quick:
        # Options given on the command line still win over the quick sizes.
        parser.set_defaults(**module.QUICK)
        options = parser.parse_args(argv)
    return options


def run(name: str, module: ModuleType, options: argparse.Namespace) -> None:
    """Run the scenario ``module`` on the Redis of the run; print and write its report."""
    from bench.harness import RESULTS, ROOT, Bench, start_redis
    from bench.overrides import ENVIRONMENT, encode

    sys.path.insert(0, str(ROOT))
    url, embedded = start_redis(options.redis_url)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ[ENVIRONMENT] = encode(module.SETTINGS)
    import django

    django.setup()
    import redis

    report = options.report or RESULTS / (f"{name}_quick.md" if options.quick else f"{name}.md")
    # redis-py 8 reads with a 5 s timeout by default; the scenarios' BLPOPs may wait longer.
    client = redis.Redis.from_url(url, socket_timeout=None)
    bench = Bench(name=name, options=options, url=url, embedded=embedded is not None, client=client, report=report)
    try:
        text = module.run(bench)
        print("\n" + text)
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(text)
        print(f"wrote {report}")
    finally:
        client.close()
        if embedded is not None:
            embedded.close()


if __name__ == "__main__":
    main()
