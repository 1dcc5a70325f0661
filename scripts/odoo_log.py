"""Read an Odoo 18 server log and tell what the test run did.

Odoo 18 writes one record per line (continuation lines, such as tracebacks,
have no prefix) in the format of ``odoo.netsvc``, for example (one line)::

    2025-05-06 10:00:00,123 4242 INFO b2b_test_4242
    odoo.addons.b2b_dropship.tests.test_install: Starting TestInstall.test_a ...

The test runner (``odoo/tests/result.py``) logs, through the logger of the
test's module:

* ``Starting <Class>.<method> ...`` (INFO) when a test starts;
* ``FAIL: <description>`` or ``ERROR: <description>`` (ERROR) for each failure
  or error; the description may be ``Subtest <Class>.<method> (<params>)`` or,
  for a failing ``setUpClass``, ``setUpClass (<module>.<Class>)``;
* ``skipped <description> : <reason>`` (INFO) for each skipped test, a browser
  tour skipped for lack of Chromium or websocket-client included.

At the end, ``odoo.tests.result`` logs
``<F> failed, <E> error(s) of <N> tests when loading database '<db>'``; that
count includes skipped tests in ``N``, which is why skips are read separately.

This module only reads text; it imports nothing from Odoo.
"""

import fnmatch
import re
from dataclasses import dataclass, field

LOG_RE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?P<pid>\d+) "
    r"(?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>[^\s:]+): (?P<msg>.*)$"
)
START_RE = re.compile(r"^Starting (?P<test>\S+) \.\.\.")
FAIL_RE = re.compile(r"^(?P<kind>FAIL|ERROR): (?P<test>.+?)\s*$")
SKIP_RE = re.compile(r"^skipped (?P<test>.+?) : (?P<reason>.*?)\s*$")
SUMMARY_RE = re.compile(
    r"^(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<run>\d+) tests "
    r"when loading database '(?P<db>[^']*)'"
)
MODULE_FAIL_RE = re.compile(
    r"^Module (?P<module>\S+): (?P<failed>\d+) failures, (?P<errors>\d+) errors "
    r"of (?P<run>\d+) tests"
)
DEMO_FAILED_RE = re.compile(r"^Module (?P<module>\S+) demo data failed to install")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
EXCEPTION_RE = re.compile(
    r"^[A-Za-z_][\w.]*(Error|Exception|Warning|Interrupt)\w*(: |$)"
)

# ERROR lines that only repeat a test failure already counted.
CONSEQUENCE_RES = [
    FAIL_RE,
    SUMMARY_RE,
    MODULE_FAIL_RE,
    re.compile(r"^At least one test failed when loading the modules\."),
    re.compile(r"^Test suite halted: max failed tests already reached"),
    re.compile(r"^\S+: at least one error occurred in a test"),
]


def test_key(logger, description):
    """Identify a test across log lines: (logger, Class.method).

    Subtest descriptions are brought back to their test, class-level
    errors (``setUpClass (...)``) keep their own description.
    """
    description = description.strip()
    if description.startswith("Subtest "):
        description = description[len("Subtest ") :].split(" ", 1)[0]
    return (logger, description)


@dataclass
class Record:
    level: str
    logger: str
    msg: str
    line_no: int
    extra: list = field(default_factory=list)

    @property
    def text(self):
        return "\n".join([self.msg, *self.extra])

    @property
    def cause(self):
        """The exception line of the traceback that follows, if any."""
        found = ""
        for line in self.extra:
            if EXCEPTION_RE.match(line):
                found = line
        return found[:300]


@dataclass
class Skip:
    key: tuple
    reason: str
    expected_by: str = ""


class OdooLog:
    """Feed it lines; it keeps what matters for the verdict."""

    def __init__(self, module=None):
        self.module = module
        self.started = {}  # key -> line number, in order
        self.failed = {}  # key -> "FAIL" / "ERROR"
        self.skips = []
        self.summary = None  # dict of ints from the closing line
        self.problem_records = []  # ERROR / CRITICAL not caused by a test
        self.warnings = []
        self.install_warnings = []  # while modules load, before any test
        self.loaded = False  # Odoo said "Modules loaded."
        self.critical = []
        self.demo_failures = []  # modules whose demo data failed to load
        self.line_no = 0
        self._last = None

    # -- reading --------------------------------------------------------
    def feed(self, line):
        self.line_no += 1
        line = ANSI_RE.sub("", line.rstrip("\n"))
        match = LOG_RE.match(line)
        if not match:
            if self._last is not None:
                self._last.extra.append(line)
            return
        record = Record(
            level=match["level"],
            logger=match["logger"],
            msg=match["msg"].rstrip(),
            line_no=self.line_no,
        )
        self._last = record
        self._dispatch(record)

    def feed_text(self, text):
        for line in text.splitlines():
            self.feed(line)
        return self

    def _dispatch(self, rec):
        msg = rec.msg
        if rec.level == "INFO":
            started = START_RE.match(msg)
            if started:
                self.started.setdefault(
                    test_key(rec.logger, started["test"]), rec.line_no
                )
                return
            skipped = SKIP_RE.match(msg)
            if skipped:
                self.skips.append(
                    Skip(test_key(rec.logger, skipped["test"]), skipped["reason"])
                )
                return
        if rec.logger == "odoo.modules.loading" and msg.startswith("Modules loaded."):
            self.loaded = True
        if rec.logger == "odoo.tests.result":
            summary = SUMMARY_RE.match(msg)
            if summary:
                self.summary = {k: int(summary[k]) for k in ("failed", "errors", "run")}
        if rec.level in ("ERROR", "CRITICAL"):
            failed = FAIL_RE.match(msg)
            if failed:
                key = test_key(rec.logger, failed["test"])
                self.failed.setdefault(key, failed["kind"])
                return
            if rec.level == "CRITICAL":
                self.critical.append(rec)
            if not any(r.match(msg) for r in CONSEQUENCE_RES):
                self.problem_records.append(rec)
        elif rec.level == "WARNING":
            self.warnings.append(rec)
            if not self.started and not self.loaded:
                self.install_warnings.append(rec)
            demo_failed = DEMO_FAILED_RE.match(msg)
            if demo_failed:
                self.demo_failures.append(demo_failed["module"])

    # -- verdict --------------------------------------------------------
    def is_ours(self, key):
        """Whether a test key belongs to the addon under test."""
        if not self.module:
            return True
        prefix = f"odoo.addons.{self.module}."
        logger, description = key
        return logger.startswith(prefix) or prefix in description

    def install_problems(self):
        """What went wrong in a run that only installs or updates modules."""
        problems = []
        for rec in self.problem_records:
            cause = f" ({rec.cause})" if rec.cause else ""
            problems.append(f"{rec.level} logged by {rec.logger}: {rec.msg}{cause}")
        for module in self.demo_failures:
            causes = [r.cause for r in self.warnings if r.cause]
            hint = f" ({causes[-1]})" if causes else ""
            problems.append(f"the demo data of {module} failed to load{hint}")
        for rec in self.fatal_install_warnings():
            problems.append(f"install warning about the addon: {rec.logger}: {rec.msg}")
        return problems

    def fatal_install_warnings(self):
        """Warnings raised while the addon was being installed that name it.

        Odoo reports models without access rules, unknown field parameters
        and similar mistakes as warnings; they are mistakes all the same.
        """
        if not self.module:
            return []
        own = f"odoo.addons.{self.module}"
        needles = ("b2b", self.module)
        return [
            rec
            for rec in self.install_warnings
            if not rec.logger.startswith(own)
            and not DEMO_FAILED_RE.match(rec.msg)  # reported on its own
            and any(n in rec.text.lower() for n in needles)
        ]

    def counts(self, expected_skips=()):
        """Return a dict: passed, failed, skipped, unexpected_skips, run.

        A skipped test is never counted as passed. A skip of the addon's
        tests that ``expected_skips`` does not name counts as a failure.
        """
        skipped_keys = set()
        unexpected = []
        expected = []
        for skip in self.skips:
            skipped_keys.add(skip.key)
            rule = match_expected(skip.key, expected_skips)
            if rule:
                skip.expected_by = rule
                expected.append(skip)
            elif self.is_ours(skip.key):
                unexpected.append(skip)
            else:
                expected.append(skip)
        failed_keys = set(self.failed)
        run_keys = set(self.started)
        passed = len(run_keys - failed_keys - skipped_keys)
        failed = len(failed_keys)
        if self.summary:
            # Odoo counts failures, not failed tests (two failing subtests
            # make two); fall back on its count only when the log shows no
            # failing test while Odoo saw some.
            odoo_failed = self.summary["failed"] + self.summary["errors"]
            if odoo_failed and not failed_keys:
                failed = odoo_failed
            if not run_keys and self.summary["run"]:
                passed = max(0, self.summary["run"] - odoo_failed - len(skipped_keys))
        return {
            "passed": passed,
            "failed": failed + len(unexpected),
            "skipped": len(expected),
            "unexpected_skips": unexpected,
            "expected_skips": expected,
            "run": self.summary["run"] if self.summary else len(run_keys),
        }


def match_expected(key, rules):
    """Return the rule (pattern) of ``rules`` that accepts this skip, if any.

    ``rules`` is a list of (pattern, reason); a pattern matches the test's
    ``Class.method``, its dotted ``module.Class.method`` or the description
    of a class-level skip, with shell wildcards.
    """
    logger, description = key
    candidates = {description, f"{logger}.{description}"}
    for pattern, _reason in rules:
        if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
            return pattern
    return None


def read_expected_skips(path):
    """Read an allow-list of skips: one ``<pattern> <reason>`` a line.

    Blank lines and lines starting with ``#`` are ignored. A line without a
    reason is an error: every accepted skip says why.
    """
    rules = []
    errors = []
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return rules, errors
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) < 2 or not parts[1].strip():
            errors.append(f"{path}:{number}: a skip needs a reason: {line!r}")
            continue
        rules.append((parts[0], parts[1].strip()))
    return rules, errors
