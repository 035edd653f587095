"""The service metrics' rules: shares and their rounding, the experience of a
first-time customer, the split of repeat purchases and the period's checks."""

from datetime import date
from decimal import Decimal

import pytest

from saleor_cs_plugin.domain.metrics import (
    Experience,
    FirstOrderFacts,
    RepeatGroup,
    check_period,
    experience,
    percent,
    repeat_purchase,
    weeks,
)


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (0, 0, None),
        (3, 0, None),
        (0, 7, Decimal("0.0")),
        (7, 7, Decimal("100.0")),
        (1, 3, Decimal("33.3")),
        (2, 3, Decimal("66.7")),
        # half up, not to even
        (1, 8, Decimal("12.5")),
        (1, 16, Decimal("6.3")),
        (1, 40, Decimal("2.5")),
        (1, 2000, Decimal("0.1")),
        (1, 2001, Decimal("0.0")),
        # a part larger than the whole is the whole
        (9, 7, Decimal("100.0")),
    ],
)
def test_a_share_has_one_decimal_place_and_none_without_a_whole(part, whole, expected):
    result = percent(part, whole)
    assert result == expected
    if expected is not None:
        assert str(result) == str(expected)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (FirstOrderFacts(), Experience.NO_PROBLEM),
        # answers without a problem: a satisfied customer had no problem
        (FirstOrderFacts(any_satisfied_yes=True), Experience.NO_PROBLEM),
        (FirstOrderFacts(any_handled_yes=True), Experience.NO_PROBLEM),
        # a problem without any answer
        (FirstOrderFacts(was_delay_told=True), Experience.NO_ANSWER),
        (FirstOrderFacts(had_stock_shortage=True), Experience.NO_ANSWER),
        (FirstOrderFacts(had_after_problem_survey=True), Experience.NO_ANSWER),
        # handled the way they wanted
        (
            FirstOrderFacts(was_delay_told=True, any_handled_yes=True),
            Experience.HANDLED_AS_WANTED,
        ),
        (
            FirstOrderFacts(had_stock_shortage=True, any_satisfied_yes=True),
            Experience.HANDLED_AS_WANTED,
        ),
        # not so
        (
            FirstOrderFacts(was_delay_told=True, any_handled_no=True),
            Experience.NOT_HANDLED_AS_WANTED,
        ),
        # a "No" to the handling outweighs a "Yes" to it (two surveys)
        (
            FirstOrderFacts(
                had_after_problem_survey=True, any_handled_yes=True, any_handled_no=True
            ),
            Experience.NOT_HANDLED_AS_WANTED,
        ),
        # the handling answer outweighs the satisfaction answer
        (
            FirstOrderFacts(
                said_something_went_wrong=True,
                any_satisfied_no=True,
                any_handled_yes=True,
            ),
            Experience.HANDLED_AS_WANTED,
        ),
        # not satisfied, handling not answered
        (
            FirstOrderFacts(said_something_went_wrong=True, any_satisfied_no=True),
            Experience.NOT_HANDLED_AS_WANTED,
        ),
        (
            FirstOrderFacts(
                was_delay_told=True, any_satisfied_yes=True, any_satisfied_no=True
            ),
            Experience.NOT_HANDLED_AS_WANTED,
        ),
    ],
)
def test_the_first_order_decides_the_experience(facts, expected):
    assert experience(facts) is expected


def test_repeat_purchases_are_split_by_experience_with_every_experience_named():
    # given
    groups = [
        (FirstOrderFacts(), 10, 4),
        (FirstOrderFacts(any_satisfied_yes=True), 5, 1),
        (FirstOrderFacts(was_delay_told=True, any_handled_yes=True), 4, 3),
        (FirstOrderFacts(had_stock_shortage=True, any_handled_no=True), 3, 0),
    ]

    # when
    result = repeat_purchase(groups, within_days=90)

    # then
    assert result.within_days == 90
    assert result.total == RepeatGroup(customers=22, repeated=8)
    assert result.rate_percent == Decimal("36.4")
    assert result.by_experience == {
        Experience.NO_PROBLEM: RepeatGroup(15, 5),
        Experience.HANDLED_AS_WANTED: RepeatGroup(4, 3),
        Experience.NOT_HANDLED_AS_WANTED: RepeatGroup(3, 0),
        Experience.NO_ANSWER: RepeatGroup(0, 0),
    }
    assert result.by_experience[Experience.NOT_HANDLED_AS_WANTED].rate_percent == (
        Decimal("0.0")
    )
    assert result.by_experience[Experience.NO_ANSWER].rate_percent is None


def test_no_first_time_customers_is_no_rate():
    result = repeat_purchase([], within_days=30)

    assert result.total == RepeatGroup(0, 0)
    assert result.rate_percent is None
    assert set(result.by_experience) == set(Experience)


@pytest.mark.parametrize(
    ("since", "until", "repeat_within_days", "problems"),
    [
        (date(2026, 11, 1), date(2026, 12, 1), 90, []),
        (date(2026, 11, 1), date(2026, 11, 2), 1, []),
        (date(2025, 1, 1), date(2026, 1, 2), 365, []),  # 366 days
        (date(2026, 11, 1), date(2026, 11, 1), None, [("until", "INVALID")]),
        (date(2026, 11, 2), date(2026, 11, 1), None, [("until", "INVALID")]),
        (date(2025, 1, 1), date(2026, 1, 3), None, [("until", "INVALID")]),
        (date(2026, 11, 1), date(2026, 12, 1), 0, [("repeatWithinDays", "INVALID")]),
        (date(2026, 11, 1), date(2026, 12, 1), 366, [("repeatWithinDays", "INVALID")]),
        (
            date(2026, 11, 1),
            date(2026, 10, 1),
            -5,
            [("until", "INVALID"), ("repeatWithinDays", "INVALID")],
        ),
    ],
)
def test_a_period_is_checked_naming_the_argument(
    since, until, repeat_within_days, problems
):
    result = check_period(since, until, repeat_within_days=repeat_within_days)

    assert [(problem.field, problem.code) for problem in result] == problems


def test_a_too_long_period_says_how_long_it_is():
    (problem,) = check_period(date(2025, 1, 1), date(2026, 6, 1))

    assert (
        problem.message == "The period is 516 days; at most 366 are measured at once."
    )


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (date(2026, 11, 2), date(2026, 11, 2), []),
        (
            date(2026, 11, 2),
            date(2026, 11, 16),
            [
                (date(2026, 11, 2), date(2026, 11, 9)),
                (date(2026, 11, 9), date(2026, 11, 16)),
            ],
        ),
        (
            date(2026, 11, 2),
            date(2026, 11, 12),
            [
                (date(2026, 11, 2), date(2026, 11, 9)),
                (date(2026, 11, 9), date(2026, 11, 12)),
            ],
        ),
    ],
)
def test_a_period_is_cut_into_weeks_from_its_first_day(since, until, expected):
    assert weeks(since, until) == expected
