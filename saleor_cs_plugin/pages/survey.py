"""The survey page: every question of one survey on one screen, answered with a
plain form, in the survey's language.

GET shows the questions of the link's survey with what is answered so far; the
one-click links of the notice (``&answer=yes`` / ``&answer=no``) open it with that
answer chosen for the first question, and record nothing: mail services fetch
every link of a message to scan it, so only the customer's POST of the form is an
answer. A POST records through ``surveys.answers.record_answers`` (the use case the
GraphQL mutation shares), then redirects (Post/Redirect/Get) to the confirmation.
Answers may be changed until the survey closes.
"""

from django.http import HttpResponse
from django.utils import timezone

from ..domain.surveys import (
    ANSWER_FIELDS,
    AbandonReason,
    AnswerChange,
    Answers,
    WrongThing,
    first_question,
)
from ..language import words_for
from ..surveys import answers
from ..tasks import schedule_delivery
from . import views

# The one-click answer of the notice's links, and the form's value of a yes/no.
ANSWER_PARAMETER = "answer"
YES_NO = {"yes": True, "no": False}
# A hidden field naming each many-answer question the form showed: with none of
# its boxes ticked, the answer is "none of these" (cleared), not "not answered".
SHOWN_FIELD = "shown"
COMMENT_FIELD = "comment"


def survey(visit: views.Visit) -> HttpResponse:
    """The survey of the link's token: GET shows it, POST records answers."""
    return views.guarded_form(visit, show=_show, answer=_answer)


def _show(visit: views.Visit) -> HttpResponse:
    request = visit.request
    token = request.GET.get("token", "")
    try:
        view = answers.open_survey(
            token, now=timezone.now(), channel_id=visit.channel.pk
        )
    except answers.AnswerRejected as rejected:
        return _rejected_link(visit, rejected)
    if not view.is_open:
        return _closed(visit, view, status=410)
    if views.ANSWERED_PARAMETER in request.GET and not view.answers.is_empty:
        return _confirmation(visit, view, token=token)
    chosen = _chosen_of(view.answers)
    one_click = request.GET.get(ANSWER_PARAMETER, "")
    first = _first_yes_no(view)
    is_one_click = one_click in YES_NO and first is not None
    if is_one_click:
        chosen[ANSWER_FIELDS[first.question]] = one_click
    return _form(visit, view, token=token, chosen=chosen, is_one_click=is_one_click)


def _answer(visit: views.Visit) -> HttpResponse:
    request = visit.request
    token = request.POST.get("token", "")
    change, error_field = _change_of(request.POST)
    if error_field:
        return _answer_refused(visit, token, field=error_field)
    try:
        view, notice_ids = answers.record_answers(
            token, change, now=timezone.now(), channel_id=visit.channel.pk
        )
    except answers.AnswerRejected as rejected:
        link_codes = {p.code for p in rejected.problems if p.field == "token"}
        if rejected.is_bad_token or link_codes - {"CLOSED"}:
            return _rejected_link(visit, rejected)
        # A survey closed meanwhile gets its page there; else the form again.
        return _answer_refused(visit, token, field=rejected.problems[0].field)
    schedule_delivery(notice_ids)
    return views.answered_redirect(request, token)


def _change_of(post) -> tuple[AnswerChange, str]:
    """The answers a form sent, or the first field whose value is not one of the
    form's (an empty field name when all are)."""
    values = {}
    for name in ("satisfied", "handled_as_wanted"):
        value = post.get(name)
        if value is not None:
            if value not in YES_NO:
                return AnswerChange(), name
            values[name] = YES_NO[value]
    reason = post.get("why_not_completed")
    if reason is not None:
        try:
            values["why_not_completed"] = AbandonReason(reason)
        except ValueError:
            return AnswerChange(), "why_not_completed"
    ticked = post.getlist("what_went_wrong")
    if ticked or "what_went_wrong" in post.getlist(SHOWN_FIELD):
        try:
            values["what_went_wrong"] = tuple(WrongThing(value) for value in ticked)
        except ValueError:
            return AnswerChange(), "what_went_wrong"
    comment = post.get(COMMENT_FIELD)
    if comment is not None:
        values["comment"] = comment
    is_chosen = any(
        name in values
        for name in ("satisfied", "handled_as_wanted", "why_not_completed")
    )
    if (
        not is_chosen
        and not values.get("what_went_wrong")
        and not (comment or "").strip()
    ):
        # Nothing chosen, ticked or written: not an answer (the use case says so).
        return AnswerChange(), ""
    return AnswerChange(**values), ""


def _answer_refused(visit: views.Visit, token: str, *, field: str) -> HttpResponse:
    """The form again, with what was sent and what to fix (the link is checked
    first: a survey that closed meanwhile gets its page)."""
    request = visit.request
    try:
        view = answers.open_survey(
            token, now=timezone.now(), channel_id=visit.channel.pk
        )
    except answers.AnswerRejected as rejected:
        return _rejected_link(visit, rejected)
    if not view.is_open:
        return _closed(visit, view, status=410)
    chosen = _chosen_of(view.answers)
    for name in ("satisfied", "handled_as_wanted", "why_not_completed"):
        if name in request.POST:
            chosen[name] = request.POST[name]
    if "what_went_wrong" in request.POST.getlist(SHOWN_FIELD):
        chosen["what_went_wrong"] = set(request.POST.getlist("what_went_wrong"))
    if COMMENT_FIELD in request.POST:
        chosen[COMMENT_FIELD] = request.POST[COMMENT_FIELD]
    return _form(
        visit,
        view,
        token=token,
        chosen=chosen,
        error_field=field or "answers",
        status=400,
    )


def _first_yes_no(view: answers.SurveyView):
    """The question the notice's one-click answers answer, when it is a yes/no."""
    first = first_question(view.survey.moment)
    for question in view.questions:
        if question.question == first and question.kind == "yes_no":
            return question
    return None


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _chosen_of(given: Answers) -> dict:
    """Form values of the answers so far: field name -> value (a set for the
    many-answer question)."""
    return {
        "satisfied": _yes_no(given.satisfied),
        "handled_as_wanted": _yes_no(given.handled_as_wanted),
        "why_not_completed": str(given.why_not_completed or ""),
        "what_went_wrong": {str(value) for value in given.what_went_wrong},
        COMMENT_FIELD: given.comment,
    }


def _questions(view: answers.SurveyView, chosen: dict) -> list[dict]:
    """What the template shows of each question: its inputs' ids, values, labels
    and whether each is chosen. After a first yes/no question, the others are its
    follow-ups ("If not: ...")."""
    questions = []
    leads_with_yes_no = bool(view.questions) and view.questions[0].kind == "yes_no"
    for number, question in enumerate(view.questions):
        name = ANSWER_FIELDS[question.question]
        prefix = name.replace("_", "-")
        if question.kind == "yes_no":
            choices = [("yes", ""), ("no", "")]
        else:
            choices = list(question.choices)
        current = chosen.get(name)
        options = [
            {
                "id": f"{prefix}-{value.replace('_', '-')}",
                "value": value,
                "label": label,
                "is_checked": (
                    value in current if isinstance(current, set) else value == current
                ),
            }
            for value, label in choices
        ]
        questions.append(
            {
                "id": f"question-{prefix}",
                "name": name,
                "text": question.text,
                "kind": question.kind,
                "input_type": "checkbox" if question.kind == "many" else "radio",
                "is_follow_up": number > 0 and leads_with_yes_no,
                "options": options,
            }
        )
    return questions


def _summary(view: answers.SurveyView) -> list[dict]:
    """The answers recorded so far, question by question, for the confirmation
    and the closed page (yes/no are worded by the template)."""
    recorded = _chosen_of(view.answers)
    rows = []
    for question in view.questions:
        name = ANSWER_FIELDS[question.question]
        value = recorded[name]
        if not value:
            continue
        labels = dict(question.choices)
        if question.kind == "yes_no":
            answer = ""
        elif question.kind == "many":
            answer = ", ".join(
                labels.get(str(item), str(item))
                for item in view.answers.what_went_wrong
            )
        else:
            answer = labels.get(value, value)
        rows.append(
            {
                "id": f"answer-{name.replace('_', '-')}",
                "question": question.text,
                "yes_no": value if question.kind == "yes_no" else "",
                "answer": answer,
            }
        )
    return rows


def _common(visit: views.Visit, view: answers.SurveyView) -> dict:
    words = words_for(view.language)
    return {
        "moment": str(view.survey.moment),
        "order_number": view.order_number,
        "items": view.items,
        "closes_at": (
            words.moment(view.closes_at, visit.settings.time_zone)
            if view.closes_at
            else ""
        ),
    }


def _form(
    visit: views.Visit,
    view: answers.SurveyView,
    *,
    token: str,
    chosen: dict,
    is_one_click: bool = False,
    error_field: str = "",
    status: int = 200,
) -> HttpResponse:
    questions = _questions(view, chosen)
    return views.render_page(
        visit,
        "survey.html",
        page="survey",
        language=view.language,
        status=status,
        context={
            **_common(visit, view),
            "questions": questions,
            "shown": [q["name"] for q in questions if q["kind"] == "many"],
            "comment": chosen.get(COMMENT_FIELD, ""),
            "comment_max_length": 1000,
            "is_one_click": is_one_click,
            "has_answers": not view.answers.is_empty,
            "token": token,
            "action": visit.request.path,
            "error_field": error_field,
        },
    )


def _confirmation(visit: views.Visit, view: answers.SurveyView, *, token: str):
    return views.render_page(
        visit,
        "survey_thanks.html",
        page="survey-confirmation",
        language=view.language,
        status=200,
        context={
            **_common(visit, view),
            "summary": _summary(view),
            "comment": view.answers.comment,
            "change_url": views.page_url(visit.request, token=token),
        },
    )


def _closed(visit: views.Visit, view: answers.SurveyView, *, status: int):
    return views.render_page(
        visit,
        "survey_closed.html",
        page="survey-closed",
        language=view.language,
        status=status,
        context={
            **_common(visit, view),
            "summary": _summary(view),
            "comment": view.answers.comment,
        },
    )


def _rejected_link(visit: views.Visit, rejected: answers.AnswerRejected):
    """A token that names no survey of this channel (counted by the throttle), or
    one whose survey is gone."""
    if rejected.is_bad_token:
        return views.invalid_link(visit)
    return views.render_page(visit, "survey_gone.html", page="survey-gone", status=404)
