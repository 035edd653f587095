"""Rules of follow-up surveys: sampling, fatigue, the questions and the answers."""

from datetime import UTC, datetime, timedelta

import pytest

from saleor_cs_plugin.domain.surveys import (
    COMMENT_MAX_LENGTH,
    AbandonReason,
    Answers,
    AnswerChange,
    Candidate,
    Moment,
    MomentSettings,
    ProblemKind,
    Question,
    SkipReason,
    WrongThing,
    check_answer,
    clean_comment,
    decide,
    is_sampled,
    needs_call_back,
    question_text,
    questions_for,
    sample_bucket,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
SALT = b"the store's own salt"
ON = MomentSettings(is_enabled=True, percent=100)


class EnglishWords:
    language = "en"

    def gettext(self, message):
        return message


def test_a_customer_keeps_their_place_in_the_sample():
    assert sample_bucket(SALT, "ann@example.com") == sample_bucket(
        SALT, " Ann@Example.COM "
    )
    # another store places its customers differently
    buckets = {sample_bucket(SALT, f"c{n}@example.com") for n in range(50)}
    other = {sample_bucket(b"another store", f"c{n}@example.com") for n in range(50)}
    assert buckets != other


@pytest.mark.parametrize("percent", [1, 10, 25, 50, 90])
def test_the_sample_is_close_to_the_percentage_over_ten_thousand_customers(percent):
    asked = sum(
        is_sampled(sample_bucket(SALT, f"customer{n}@example.com"), percent)
        for n in range(10_000)
    )
    # within four standard deviations of a binomial draw
    spread = 4 * (10_000 * percent / 100 * (1 - percent / 100)) ** 0.5
    assert abs(asked - 100 * percent) <= spread


def test_a_customer_in_a_small_sample_is_in_every_larger_one():
    for n in range(2_000):
        bucket = sample_bucket(SALT, f"customer{n}@example.com")
        if is_sampled(bucket, 10):
            assert is_sampled(bucket, 20)


@pytest.mark.parametrize(("percent", "expected"), [(0, False), (100, True)])
def test_none_and_all(percent, expected):
    assert {is_sampled(bucket, percent) for bucket in range(10_000)} == {expected}


@pytest.mark.parametrize(
    ("candidate", "settings", "fatigue_days", "expected"),
    [
        (Candidate(Moment.COMPLETED, "a@example.com"), ON, 30, None),
        (
            Candidate(Moment.COMPLETED, "a@example.com"),
            MomentSettings(),
            30,
            SkipReason.MOMENT_OFF,
        ),
        (Candidate(Moment.COMPLETED, ""), ON, 30, SkipReason.NO_EMAIL),
        (
            Candidate(Moment.COMPLETED, "a@example.com", is_order_cancelled=True),
            ON,
            30,
            SkipReason.ORDER_CANCELLED,
        ),
        (
            Candidate(Moment.COMPLETED, "a@example.com", is_order_gone=True),
            ON,
            30,
            SkipReason.ORDER_GONE,
        ),
        (
            Candidate(Moment.ABANDONED, "a@example.com", has_ordered_since=True),
            ON,
            30,
            SkipReason.ORDERED_SINCE,
        ),
        (
            Candidate(Moment.COMPLETED, "a@example.com", is_order_already_asked=True),
            ON,
            30,
            SkipReason.ALREADY_ASKED,
        ),
        (
            Candidate(
                Moment.COMPLETED,
                "a@example.com",
                last_asked_at=NOW - timedelta(days=29),
            ),
            ON,
            30,
            SkipReason.RECENTLY_ASKED,
        ),
        (
            Candidate(
                Moment.COMPLETED,
                "a@example.com",
                last_asked_at=NOW - timedelta(days=31),
            ),
            ON,
            30,
            None,
        ),
        (
            Candidate(
                Moment.COMPLETED, "a@example.com", last_asked_at=NOW - timedelta(days=1)
            ),
            ON,
            0,
            None,
        ),
    ],
)
def test_who_is_asked(candidate, settings, fatigue_days, expected):
    decision = decide(
        candidate,
        moment_settings=settings,
        fatigue_days=fatigue_days,
        bucket=0,
        now=NOW,
    )
    assert decision == expected


def test_a_customer_outside_the_sample_is_not_asked():
    decision = decide(
        Candidate(Moment.COMPLETED, "a@example.com"),
        moment_settings=MomentSettings(is_enabled=True, percent=10),
        fatigue_days=0,
        bucket=1_000,
        now=NOW,
    )
    assert decision == SkipReason.NOT_SAMPLED


def test_each_moment_asks_its_questions():
    assert questions_for(Moment.ABANDONED) == (Question.WHY_NOT_COMPLETED,)
    assert questions_for(Moment.COMPLETED) == (
        Question.SATISFIED,
        Question.WHAT_WENT_WRONG,
        Question.HANDLED_AS_WANTED,
    )
    assert questions_for(Moment.AFTER_PROBLEM) == (
        Question.HANDLED_AS_WANTED,
        Question.WHAT_WENT_WRONG,
    )


def test_the_question_after_a_problem_names_it():
    text = question_text(
        Question.HANDLED_AS_WANTED,
        words=EnglishWords(),
        moment=Moment.AFTER_PROBLEM,
        problem=ProblemKind.DELAY,
        order_number="123",
        custom="Did we do right by you?",
    )
    assert text == "Did we handle the delay of order #123 the way you wanted?"
    assert (
        question_text(
            Question.HANDLED_AS_WANTED,
            words=EnglishWords(),
            moment=Moment.COMPLETED,
            custom="Did we do right by you?",
        )
        == "Did we do right by you?"
    )


def test_partial_answers_are_kept_and_may_change():
    answers = Answers().merged(AnswerChange(satisfied=False))
    answers = answers.merged(
        AnswerChange(what_went_wrong=(WrongThing.LATE, WrongThing.LATE))
    )
    answers = answers.merged(AnswerChange(satisfied=True, comment="fine now"))
    assert answers == Answers(
        satisfied=True, what_went_wrong=(WrongThing.LATE,), comment="fine now"
    )
    assert answers.merged(AnswerChange(what_went_wrong=())).what_went_wrong == ()


def test_an_answer_must_be_one_the_survey_asks():
    problems = check_answer(
        AnswerChange(satisfied=True, why_not_completed=AbandonReason.PRICE),
        moment=Moment.ABANDONED,
    )
    assert [(p.field, p.code) for p in problems] == [("satisfied", "INVALID")]
    assert problems[0].message == (
        "This survey does not ask it; it asks: why_not_completed."
    )
    assert [
        (p.field, p.code) for p in check_answer(AnswerChange(), moment=Moment.COMPLETED)
    ] == [("answers", "REQUIRED")]
    too_long = check_answer(
        AnswerChange(comment="x" * (COMMENT_MAX_LENGTH + 1)), moment=Moment.COMPLETED
    )
    assert [(p.field, p.message) for p in too_long] == [
        ("comment", "1001 characters; at most 1000 are allowed.")
    ]


@pytest.mark.parametrize(
    ("moment", "answers", "expected"),
    [
        (Moment.COMPLETED, Answers(satisfied=False, handled_as_wanted=False), True),
        (Moment.COMPLETED, Answers(satisfied=False, handled_as_wanted=True), False),
        (Moment.COMPLETED, Answers(satisfied=False), False),
        (Moment.COMPLETED, Answers(satisfied=True, handled_as_wanted=False), False),
        (Moment.AFTER_PROBLEM, Answers(handled_as_wanted=False), True),
        (Moment.AFTER_PROBLEM, Answers(handled_as_wanted=True), False),
        (Moment.ABANDONED, Answers(why_not_completed=AbandonReason.PRICE), False),
    ],
)
def test_who_is_called_back(moment, answers, expected):
    assert needs_call_back(moment, answers) is expected


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("  It was <b>late</b>  ", "It was late"),
        ('<script>alert("x")</script>Bad', 'alert("x")Bad'),
        ("Fish &amp; chips\x00\x07", "Fish & chips"),
        ("line one\nline two", "line one\nline two"),
    ],
)
def test_free_text_is_kept_without_markup(text, kept):
    assert clean_comment(text) == kept
