"""The registry of slices: each slice declares itself once, and the core only walks the list."""

from dataclasses import fields

import pytest
from django.test import override_settings

import scalejobs.middleware
from scalejobs import conf
from scalejobs.kernel import middleware
from scalejobs.kernel.slice import load
from scalejobs.kernel.validation import declared, setting_of
from scalejobs.leader import LeaderDuty
from scalejobs.middleware import DEFAULT_STACK
from scalejobs.slices import SLICES, Settings
from scalejobs.unique.middleware import Unique

SECTIONS = [slice for slice in SLICES if slice.settings is not None]


def test_every_section_of_settings_is_a_slices_declared_section():
    sections = {item.name: item.type for item in fields(Settings) if item.name not in ("redis_url", "key_prefix", "on_commit")}
    assert sections == {slice.name: f"{slice.name}.{slice.settings.__name__}" for slice in SECTIONS}


def test_slice_names_are_unique():
    names = [slice.name for slice in SLICES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("section", [conf.KernelSettings, *(slice.settings for slice in SECTIONS)], ids=lambda section: section.__name__)
def test_every_setting_has_a_one_line_doc_and_a_default_its_rule_accepts(section):
    defaults = {key: setting_of(item).default for key, item in declared(section).items()}
    for key, item in declared(section).items():
        declaration = setting_of(item)
        assert declaration.doc and "\n" not in declaration.doc and declaration.doc.endswith("."), key
        assert declaration.rule.test(declaration.default, defaults), key


def test_the_defaults_build_settings_equal_to_the_dataclass_defaults():
    built = conf.build({})
    for slice in SECTIONS:
        assert getattr(built, slice.name) == slice.settings()


def test_every_named_check_page_module_and_start_up_function_loads():
    for slice in SLICES:
        for path in (slice.checks, slice.ready):
            if path is not None:
                assert callable(load(path)), path
        if slice.pages is not None:
            assert load(f"{slice.pages}.PAGES"), slice.pages


def test_every_leader_duty_is_declared_by_its_slice_and_built_from_the_workers_broker(broker):
    declared = {slice.name: slice.duties for slice in SLICES if slice.duties}
    assert declared == {
        "periodic": ("scalejobs.periodic.runner.scheduler_thread",),
        "reliability": ("scalejobs.reliability.runtime.recovery_thread",),
        "metrics": ("scalejobs.metrics.runtime.publisher",),
    }
    for paths in declared.values():
        for path in paths:
            duty = load(path)(broker)
            # Built, not started: the slice's middleware starts it at worker boot (None: nothing to do here).
            assert duty is None or (isinstance(duty, LeaderDuty) and not duty._thread.is_alive()), path


def test_every_scalejobs_entry_of_the_default_stack_is_a_middleware_a_slice_declares():
    declared_classes = {load(path) for slice in SLICES for path in slice.middleware}
    ours = [path.rsplit(".", 1)[1] for path in DEFAULT_STACK if path.startswith("scalejobs.")]
    assert {getattr(scalejobs.middleware, name) for name in ours} == declared_classes
    assert sorted(scalejobs.middleware.__all__) == sorted(["DEFAULT_STACK", *ours])


def test_an_unknown_middleware_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        scalejobs.middleware.Nothing  # noqa: B018


class SpecialUnique(Unique):
    pass


@pytest.mark.parametrize(
    "entry",
    ["scalejobs.middleware.Unique", "scalejobs.unique.middleware.Unique", Unique.__new__(Unique), SpecialUnique.__new__(SpecialUnique)],
    ids=["public path", "slice path", "instance", "subclass instance"],
)
def test_a_middleware_is_listed_by_its_public_path_its_slice_path_or_an_instance(entry):
    with override_settings(DRAMATIQ_BROKER={"BROKER": "dramatiq.brokers.stub.StubBroker", "MIDDLEWARE": ["dramatiq.middleware.Retries", entry]}):
        assert middleware.listed("scalejobs.Unique")
        assert middleware.position("scalejobs.Unique") == 1
        assert middleware.position("dramatiq.Retries") == 0
        assert not middleware.listed("scalejobs.Throttle")


def test_nothing_is_listed_without_a_broker_setting():
    with override_settings(DRAMATIQ_BROKER=None):
        assert not middleware.listed("dramatiq.Retries")


@pytest.mark.parametrize(
    ("section", "key"),
    [("LEADER", "RENEW_SECONDS"), ("RELIABILITY", "PULSE_SECONDS"), ("THROTTLE", "MAX_BACKOFF"), ("DASHBOARD", "HEARTBEAT_SECONDS")],
)
def test_a_bool_is_never_a_number_of_seconds(section, key):
    with pytest.raises(conf.ConfigurationError) as caught:
        conf.build({section: {key: True}})
    assert caught.value.setting == f"SCALEJOBS[{section!r}][{key!r}]"


def test_a_periodic_entry_every_must_be_a_whole_number_not_a_bool():
    with pytest.raises(conf.ConfigurationError) as caught:
        conf.build({"PERIODIC": {"ENTRIES": {"beat": {"job": "tests.testapp.tasks.record", "every": True}}}})
    assert str(caught.value) == "SCALEJOBS['PERIODIC']['ENTRIES']['beat']['every']: expected a whole number of seconds >= 1, got True."


def test_the_settings_reference_is_python_that_holds_the_defaults():
    namespace = {}
    exec(conf.reference(), namespace)  # noqa: S102
    assert namespace["SCALEJOBS"] == conf.defaults()
    assert conf.build(namespace["SCALEJOBS"]) == conf.build({})
