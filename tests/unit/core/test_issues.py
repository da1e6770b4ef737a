"""Issues carry their location so a person can fix a whole file in one pass."""

from __future__ import annotations

from chanli.core.issues import Issue, Issues, Severity, ValidationFailed


def test_an_issue_says_where_and_what():
    issue = Issue("bad.date", "not a date", row=7, column="签约日期", value="2026-13-01", source="orders.xlsx")
    assert str(issue) == "orders.xlsx, row 7, column 签约日期: not a date (value '2026-13-01')"
    assert issue.as_dict()["severity"] == "error"


def test_validation_failure_summarises_the_first_errors_and_counts_the_rest():
    issues = Issues()
    for row in range(2, 8):
        issues.error("x", "bad", row=row)
    issues.warning("w", "just so you know")
    exc = ValidationFailed(issues)
    assert str(exc).endswith("(+3 more)")
    assert len(exc.issues.errors) == 6 and len(exc.issues.warnings) == 1
    assert exc.issues.warnings[0].severity is Severity.WARNING
