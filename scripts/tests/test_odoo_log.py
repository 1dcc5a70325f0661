"""How make test reads Odoo's log: counts, skips, errors."""

import odoo_log
import pytest

PREFIX = "2026-11-22 19:30:48,963 21314 {level} b2b_test_1 {logger}: {msg} "
OURS = "odoo.addons.b2b_dropship.tests.test_install"
UI = "odoo.addons.b2b_dropship.tests.test_ui"


def line(msg, level="INFO", logger=OURS):
    return PREFIX.format(level=level, logger=logger, msg=msg)


def summary(failed=0, errors=0, run=0):
    return line(
        f"{failed} failed, {errors} error(s) of {run} tests "
        "when loading database 'b2b_test_1'",
        level="ERROR" if failed or errors else "INFO",
        logger="odoo.tests.result",
    )


def read(*lines, module="b2b_dropship"):
    return odoo_log.OdooLog(module=module).feed_text("\n".join(lines))


def test_clean_run_counts_every_started_test_as_passed():
    log = read(
        line("Starting TestInstall.test_a ..."),
        line("Starting TestInstall.test_b ..."),
        summary(run=2),
    )
    assert log.counts() == {
        "passed": 2,
        "failed": 0,
        "skipped": 0,
        "unexpected_skips": [],
        "expected_skips": [],
        "run": 2,
    }
    assert not log.problem_records


def test_failure_and_its_consequence_lines_count_once():
    log = read(
        line("Starting TestInstall.test_a ..."),
        line("Starting TestInstall.test_b ..."),
        line("=" * 70),
        line("FAIL: TestInstall.test_b", level="ERROR"),
        "Traceback (most recent call last):",
        '  File "test_install.py", line 3, in test_b',
        "AssertionError: 1 != 2",
        line(
            "Module b2b_dropship: 1 failures, 0 errors of 2 tests",
            level="ERROR",
            logger="odoo.modules.loading",
        ),
        line(
            "At least one test failed when loading the modules.",
            level="ERROR",
            logger="odoo.modules.loading",
        ),
        summary(failed=1, run=2),
    )
    counts = log.counts()
    assert (counts["passed"], counts["failed"]) == (1, 1)
    assert log.problem_records == []


def test_failing_subtests_make_one_failed_test():
    log = read(
        line("Starting TestInstall.test_a ..."),
        line("FAIL: Subtest TestInstall.test_a (i=1)", level="ERROR"),
        line("FAIL: Subtest TestInstall.test_a (i=2)", level="ERROR"),
        summary(failed=2, run=1),
    )
    counts = log.counts()
    # Odoo counts two failures; they are one failed test.
    assert (counts["passed"], counts["failed"]) == (0, 1)


def test_failing_setupclass_is_a_failure_and_its_tests_do_not_pass():
    log = read(
        line("Starting TestOther.test_a ..."),
        line(
            f"ERROR: setUpClass ({OURS}.TestInstall)",
            level="ERROR",
            logger="odoo.tests.suite",
        ),
        summary(errors=1, run=1),
    )
    counts = log.counts()
    assert (counts["passed"], counts["failed"]) == (1, 1)


def test_unlisted_skip_of_the_addon_fails_and_never_passes():
    log = read(
        line("Starting TestUi.test_tour ...", logger=UI),
        line("websocket-client module is not installed", level="WARNING", logger=UI),
        line(
            "skipped TestUi.test_tour : websocket-client module is not installed",
            logger=UI,
        ),
        summary(run=1),
    )
    counts = log.counts()
    assert (counts["passed"], counts["failed"], counts["skipped"]) == (0, 1, 0)
    assert counts["unexpected_skips"][0].reason == (
        "websocket-client module is not installed"
    )


def test_listed_skip_is_reported_as_skipped_not_passed():
    log = read(
        line("Starting TestUi.test_tour ...", logger=UI),
        line("skipped TestUi.test_tour : Chrome executable not found", logger=UI),
        line("Starting TestUi.test_other ...", logger=UI),
        summary(run=2),
    )
    counts = log.counts([("TestUi.test_t*", "no browser on this machine")])
    assert (counts["passed"], counts["failed"], counts["skipped"]) == (1, 0, 1)
    assert counts["expected_skips"][0].expected_by == "TestUi.test_t*"


def test_class_level_skip_is_seen():
    log = read(
        line(
            f"skipped setUpClass ({UI}.TestUi) : Chrome executable not found",
            logger="odoo.tests.suite",
        ),
        summary(run=0),
    )
    counts = log.counts()
    assert counts["failed"] == 1
    assert counts["passed"] == 0


def test_skips_of_other_modules_do_not_fail_the_addon():
    other = "odoo.addons.sale_stock.tests.test_ui"
    log = read(
        line("Starting TestUi.test_x ...", logger=other),
        line("skipped TestUi.test_x : Chrome executable not found", logger=other),
        summary(run=1),
    )
    counts = log.counts()
    assert (counts["failed"], counts["skipped"]) == (0, 1)


def test_error_lines_outside_tests_are_problems():
    log = read(
        line(
            "Failed to initialize database `b2b_test_1`.",
            level="CRITICAL",
            logger="odoo.service.server",
        ),
        "Traceback (most recent call last):",
        "odoo.tools.convert.ParseError: while parsing b2b_dropship/views/x.xml:3",
        line("Some model went wrong", level="ERROR", logger="odoo.models"),
    )
    assert [r.level for r in log.problem_records] == ["CRITICAL", "ERROR"]
    assert log.problem_records[0].cause == (
        "odoo.tools.convert.ParseError: while parsing b2b_dropship/views/x.xml:3"
    )
    assert log.critical and log.summary is None


def test_install_warnings_naming_the_addon_are_fatal_until_tests_start():
    access = (
        "The models ['b2b.thing'] have no access rules in module b2b_dropship, "
        "consider adding some, like:"
    )
    log = read(
        line(access, level="WARNING", logger="odoo.modules.loading"),
        line("unrelated warning", level="WARNING", logger="odoo.http"),
        line("Starting TestInstall.test_a ..."),
        line("b2b warning during a test", level="WARNING", logger="odoo.models"),
        summary(run=1),
    )
    assert [r.msg for r in log.fatal_install_warnings()] == [access]


def test_warnings_after_modules_loaded_are_not_install_warnings():
    log = read(
        line("Modules loaded.", logger="odoo.modules.loading"),
        line(
            'IrAsset: the path "b2b_dropship/static/tests/tours/**/*" did not '
            "resolve to anything.",
            level="WARNING",
            logger="odoo.addons.base.models.ir_asset",
        ),
        line("Starting TestInstall.test_a ..."),
        summary(run=1),
    )
    assert log.fatal_install_warnings() == []


def test_counts_fall_back_on_odoos_summary_without_start_lines():
    log = read(summary(failed=1, run=5))
    counts = log.counts()
    assert (counts["passed"], counts["failed"], counts["run"]) == (4, 1, 5)


def test_colours_are_ignored():
    coloured = line("Starting TestInstall.test_a ...").replace(
        " INFO ", " \x1b[1;32m\x1b[1;49mINFO\x1b[0m "
    )
    log = read(coloured, summary(run=1))
    assert log.counts()["passed"] == 1


def test_expected_skips_need_a_reason(tmp_path):
    path = tmp_path / "expected_skips.txt"
    path.write_text("# comment\n\nTestUi.test_tour  no browser here\nTestUi.test_x\n")
    rules, errors = odoo_log.read_expected_skips(path)
    assert rules == [("TestUi.test_tour", "no browser here")]
    assert len(errors) == 1 and "needs a reason" in errors[0]


@pytest.mark.parametrize(
    "pattern",
    ["TestUi.test_tour", f"{UI}.TestUi.test_tour", "*.test_tour"],
)
def test_expected_skip_patterns(pattern):
    assert odoo_log.match_expected((UI, "TestUi.test_tour"), [(pattern, "why")])
    assert not odoo_log.match_expected((UI, "TestUi.test_other"), [(pattern, "why")])


def test_demo_data_failure_is_an_install_problem_with_its_cause():
    log = read(
        line(
            "Module b2b_dropship demo data failed to install, "
            "installed without demo data",
            level="WARNING",
            logger="odoo.modules.loading",
        ),
        "Traceback (most recent call last):",
        "ValueError: External ID not found in the system: base.gb",
        "",
        "odoo.tools.convert.ParseError: while parsing demo/b2b_demo.xml:167",
    )
    assert log.demo_failures == ["b2b_dropship"]
    assert log.install_problems() == [
        "the demo data of b2b_dropship failed to load "
        "(odoo.tools.convert.ParseError: while parsing demo/b2b_demo.xml:167)"
    ]
