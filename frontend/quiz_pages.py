"""Taking a quiz: start or go on, answer (each answer saved as the pupil goes, by htmx, or all
at once by the form's button without JavaScript), hand in after a confirmation, read the
result.

Everything a pupil's page shows of an attempt comes from ``selectors.attempt_for_student``,
which leaves out answer keys and, until the reveal policy allows, scores, feedback and right
answers: these pages never read keys themselves. Times are the server's: the countdown starts
from the seconds left until the deadline the services compute.
"""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from courses.assessments import policies, selectors, services
from courses.assessments.grading import QuestionType
from courses.assessments.models import AssessmentKind, Attempt, AttemptState
from courses.assessments.services.attempts import deadline_of
from frontend.assessment_forms import plain_number
from frontend.assessment_pages import user_of, visible_assessment
from lms.errors import ApplicationError

# What a refused save means for the page: the attempt is no longer open for answers.
CLOSED_CODES = ("time_is_up", "submitted")
CHOICE_KINDS = (QuestionType.SINGLE, QuestionType.TRUE_FALSE)
TYPED_KINDS = (QuestionType.NUMERIC, QuestionType.SHORT_TEXT, QuestionType.ESSAY)
REFRESH_WHILE_GRADING_SECONDS = 600


def _own_attempt(request: HttpRequest, attempt_id: int, *, quiz: bool = False) -> Attempt:
    """The pupil's own attempt, while they may take the assessment (with ``quiz``, only a
    quiz's: an assignment is handed in on its own page); anything else is not found."""
    attempt = selectors.attempt_own(user=request.user, attempt_id=attempt_id)
    if attempt is None or (quiz and attempt.assessment.kind != AssessmentKind.QUIZ):
        raise Http404
    return attempt


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# --- reading a pupil's response from the form ---------------------------------------------------
def _field(question_id: int, part: int | None = None) -> str:
    return f"answer-{question_id}" if part is None else f"answer-{question_id}-{part}"


def _count(given: str) -> int | None:
    """A small whole number typed in a form ("3"), or None: not "²", "-1", " 3" or 10**5000."""
    return int(given) if given.isascii() and given.isdigit() and len(given) <= 9 else None


def _option_id(item: dict[str, Any], given: str) -> int | str:
    """The option a page's field names: options are numbered by their place on the pupil's
    paper, never by their ids (ids follow the order the author typed them in, which could give
    the right answer away). Anything else is passed on as it is, for the service to refuse."""
    options = item["options"]
    place = _count(given)
    if place is not None and place < len(options):
        return int(options[place]["id"])
    return given


def response_from(post: QueryDict, item: dict[str, Any]) -> dict[str, Any] | None:
    """The response to one question of the paper in ``post``; None when the form holds none
    (a choice question nobody chose in)."""
    kind, question = item["kind"], item["id"]
    name = _field(question)
    if kind in CHOICE_KINDS:
        value = post.get(name)
        return None if not value else {"option": _option_id(item, value)}
    if kind == QuestionType.MULTIPLE:
        return {"options": [_option_id(item, value) for value in post.getlist(name)]}
    if kind == QuestionType.NUMERIC:
        return None if name not in post else {"value": post.get(name, "")}
    if kind in (QuestionType.SHORT_TEXT, QuestionType.ESSAY):
        return None if name not in post else {"text": post.get(name, "")}
    if kind == QuestionType.MATCHING:
        pairs = {
            str(option["id"]): post.get(_field(question, index), "")
            for index, option in enumerate(item["options"])
        }
        return {"pairs": {key: value for key, value in pairs.items() if value}}
    if kind == QuestionType.ORDERING:
        places = []
        for index, option in enumerate(item["options"]):
            place = _count(post.get(_field(question, index), ""))
            if place is None:
                return None
            places.append((place, index, option["id"]))
        return {"order": [option for _place, _index, option in sorted(places)]}
    return None


def _blank(response: dict[str, Any]) -> bool:
    return not any(response.values())


def _revision(post: QueryDict, item: dict[str, Any]) -> int:
    given = _count(post.get(f"revision-{item['id']}", ""))
    return given if given is not None and given > 0 else item["revision"] + 1


# --- shaping the paper for the page -------------------------------------------------------------
def question_view(item: dict[str, Any], response: dict[str, Any] | None) -> dict[str, Any]:
    """One question as the answering page shows it, with the pupil's response filled in, and
    the names of its fields (what an htmx save of this question sends)."""
    kind, question = item["kind"], item["id"]
    response = response or {}
    view: dict[str, Any] = {
        "id": question,
        "kind": kind,
        "text_html": item["text_html"],
        "points": item["points"],
        "next_revision": item["revision"] + 1,
        "typed": kind in TYPED_KINDS,
        "name": _field(question),
    }
    params = [_field(question)]
    if kind in CHOICE_KINDS or kind == QuestionType.MULTIPLE:
        chosen = (
            {response.get("option")} if kind in CHOICE_KINDS else set(response.get("options") or [])
        )
        view["options"] = [
            {"index": index, "text": option["text"], "checked": option["id"] in chosen}
            for index, option in enumerate(item["options"])
        ]
    elif kind in TYPED_KINDS:
        view["value"] = response.get("value" if kind == QuestionType.NUMERIC else "text", "")
    elif kind == QuestionType.MATCHING:
        pairs = response.get("pairs") or {}
        view["prompts"] = [
            {
                "name": _field(question, index),
                "text": option["text"],
                "chosen": pairs.get(str(option["id"]), ""),
                "choices": option["choices"],
            }
            for index, option in enumerate(item["options"])
        ]
        params = [prompt["name"] for prompt in view["prompts"]]
    elif kind == QuestionType.ORDERING:
        index_of = {option["id"]: index for index, option in enumerate(item["options"])}
        order = [int(pk) for pk in response.get("order") or [] if str(pk).isdigit()]
        if sorted(order) != sorted(index_of):
            order = list(index_of)
        place_of = {pk: place for place, pk in enumerate(order, start=1)}
        view["items"] = [
            {
                "name": _field(question, index_of[option["id"]]),
                "text": option["text"],
                "place": place_of[option["id"]],
            }
            for option in sorted(item["options"], key=lambda option: place_of[option["id"]])
        ]
        view["places"] = list(range(1, len(order) + 1))
        params = [entry["name"] for entry in view["items"]]
    view["params"] = ",".join(["csrfmiddlewaretoken", f"revision-{question}", *params])
    return view


def result_view(item: dict[str, Any]) -> dict[str, Any]:
    """One question of a handed-in attempt: the pupil's own response, and only what
    ``attempt_for_student`` revealed (``result``) of points, feedback and right answers."""
    kind = item["kind"]
    response = item["response"] or {}
    texts = {option["id"]: option["text"] for option in item["options"]}
    given: list[str] = []
    if kind in CHOICE_KINDS:
        given = [texts.get(response.get("option"), "")] if response.get("option") else []
    elif kind == QuestionType.MULTIPLE:
        given = [texts.get(pk, "") for pk in response.get("options") or []]
    elif kind == QuestionType.NUMERIC:
        given = [response["value"]] if response.get("value") else []
    elif kind in (QuestionType.SHORT_TEXT, QuestionType.ESSAY):
        given = [response["text"]] if response.get("text") else []
    elif kind == QuestionType.MATCHING:
        pairs = response.get("pairs") or {}
        given = [
            f"{option['text']} → {pairs[str(option['id'])]}"
            for option in item["options"]
            if pairs.get(str(option["id"]))
        ]
    elif kind == QuestionType.ORDERING:
        given = [texts.get(int(pk), "") for pk in response.get("order") or [] if str(pk).isdigit()]
    view: dict[str, Any] = {
        "id": item["id"],
        "kind": kind,
        "text_html": item["text_html"],
        "points": item["points"],
        "given": given,
        "essay": kind == QuestionType.ESSAY,
    }
    result = item.get("result")
    if result is not None:
        view["result"] = {
            "points": result["points"],
            "feedback": result["feedback"],
            "general_feedback": result["general_feedback"],
            "right": [_right_answer(kind, right) for right in result["right_answers"]],
        }
    return view


def _right_answer(kind: str, right: dict[str, Any]) -> str:
    if kind == QuestionType.MATCHING:
        return f"{right['text']} → {right['match']}"
    if kind == QuestionType.NUMERIC:
        value, tolerance = Decimal(right["value"]), Decimal(right["tolerance"])
        if tolerance:
            return f"{plain_number(value)} ± {plain_number(tolerance)}"
        return plain_number(value)
    return str(right["text"])


# --- the pages ----------------------------------------------------------------------------------
@login_required
@require_POST
def attempt_start(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = visible_assessment(request, assessment_id)
    if not policies.can_take(request.user, assessment):
        raise Http404
    try:
        attempt = services.attempt_start(assessment=assessment, student=user_of(request))
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("frontend:assessment-detail", assessment_id=assessment.pk)
    return redirect("frontend:attempt-detail", attempt_id=attempt.pk)


def _take_page(
    request: HttpRequest,
    attempt: Attempt,
    shown: dict[str, Any],
    *,
    responses: dict[int, dict[str, Any]] | None = None,
    errors: dict[int, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    responses = responses or {}
    questions = [
        question_view(item, responses.get(item["id"], item["response"]))
        for item in shown["questions"]
    ]
    for question in questions:
        question["errors"] = (errors or {}).get(question["id"], [])
    deadline = deadline_of(attempt)
    seconds_left = None
    if deadline is not None:
        seconds_left = max(int((deadline - timezone.now()).total_seconds()), 0)
    return render(
        request,
        "frontend/assessments/attempt_take.html",
        {
            "attempt": attempt,
            "assessment": attempt.assessment,
            "shown": shown,
            "questions": questions,
            "deadline": deadline,
            "seconds_left": seconds_left,
        },
        status=status,
    )


@login_required
def attempt_detail(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The answering page while the attempt is in progress; its result afterwards."""
    attempt = _own_attempt(request, attempt_id)
    if attempt.assessment.kind == AssessmentKind.ASSIGNMENT:
        # An assignment's hand-ins, with their marks once published, are on its own page.
        return redirect("frontend:hand-in", assessment_id=attempt.assessment_id)
    shown = selectors.attempt_for_student(attempt=attempt)
    if attempt.state == AttemptState.IN_PROGRESS and attempt.assessment.kind == AssessmentKind.QUIZ:
        return _take_page(request, attempt, shown)
    grading = (
        attempt.state == AttemptState.SUBMITTED
        and attempt.graded_at is None
        and attempt.submitted_at is not None
        and (timezone.now() - attempt.submitted_at).total_seconds() < REFRESH_WHILE_GRADING_SECONDS
    )
    return render(
        request,
        "frontend/assessments/attempt_result.html",
        {
            "attempt": attempt,
            "assessment": attempt.assessment,
            "shown": shown,
            "questions": [result_view(item) for item in shown["questions"]],
            "grading": grading,
        },
    )


@login_required
@require_POST
def attempt_save(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The form's button (no JavaScript needed): save every answer that changed, then go on
    answering, to the confirmation (``review``), or hand in when time ran out (``finish``,
    sent by the countdown)."""
    attempt = _own_attempt(request, attempt_id, quiz=True)
    student = user_of(request)
    action = request.POST.get("action", "save")
    shown = selectors.attempt_for_student(attempt=attempt)
    errors: dict[int, list[str]] = {}
    responses: dict[int, dict[str, Any]] = {}
    closed = attempt.state != AttemptState.IN_PROGRESS
    handed_in = _("Your attempt was handed in.")
    for item in shown["questions"] if not closed else []:
        response = response_from(request.POST, item)
        if response is None or response == (item["response"] or {}):
            continue
        if item["response"] is None and _blank(response):
            continue
        try:
            services.answer_save(
                attempt=attempt,
                student=student,
                question_id=item["id"],
                response=response,
                revision=_revision(request.POST, item),
            )
        except ApplicationError as error:
            if error.code in CLOSED_CODES:
                closed, handed_in = True, error.message
                break
            responses[item["id"]] = response
            errors[item["id"]] = [m for ms in error.fields.values() for m in ms] or [error.message]
    if closed or action == "finish":
        services.attempt_submit(attempt=attempt, student=student)
        messages.info(request, handed_in)
        return redirect("frontend:attempt-detail", attempt_id=attempt.pk)
    if errors:
        messages.error(request, _("Some answers were not saved: correct what is marked below."))
        attempt.refresh_from_db()
        return _take_page(
            request,
            attempt,
            selectors.attempt_for_student(attempt=attempt),
            responses=responses,
            errors=errors,
        )
    if action == "review":
        return redirect("frontend:attempt-submit", attempt_id=attempt.pk)
    messages.success(request, _("Your answers were saved."))
    return redirect("frontend:attempt-detail", attempt_id=attempt.pk)


@login_required
@require_POST
def answer_save(request: HttpRequest, attempt_id: int, question_id: int) -> HttpResponse:
    """One answer, saved as the pupil goes (htmx): answers with the answer's saved state and
    the revision to send next. Without htmx it goes back to the answering page."""
    attempt = _own_attempt(request, attempt_id, quiz=True)
    attempt_url = reverse("frontend:attempt-detail", args=[attempt.pk])
    shown = selectors.attempt_for_student(attempt=attempt)
    item = next((entry for entry in shown["questions"] if entry["id"] == question_id), None)
    if item is None:
        raise Http404
    context: dict[str, Any] = {"question": question_id, "next_revision": item["revision"] + 1}
    response = response_from(request.POST, item)
    if attempt.state != AttemptState.IN_PROGRESS:
        return (
            HttpResponseClientRedirect(attempt_url) if _is_htmx(request) else redirect(attempt_url)
        )
    if response is not None:
        revision = _revision(request.POST, item)
        try:
            answer = services.answer_save(
                attempt=attempt,
                student=user_of(request),
                question_id=question_id,
                response=response,
                revision=revision,
            )
        except ApplicationError as error:
            if error.code in CLOSED_CODES:
                messages.info(request, error.message)
                if _is_htmx(request):
                    return HttpResponseClientRedirect(attempt_url)
                return redirect(attempt_url)
            context["error"] = " ".join(m for ms in error.fields.values() for m in ms)
        else:
            context.update(
                saved_at=answer.saved_at,
                stale=answer.revision != revision,
                next_revision=answer.revision + 1,
            )
    if not _is_htmx(request):
        if context.get("error"):
            messages.error(request, context["error"])
        return redirect(attempt_url)
    return render(request, "frontend/assessments/answer_status.html", context)


@login_required
def attempt_submit(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Hand in, after a confirmation that says how many questions have an answer."""
    attempt = _own_attempt(request, attempt_id, quiz=True)
    if attempt.state != AttemptState.IN_PROGRESS:
        return redirect("frontend:attempt-detail", attempt_id=attempt.pk)
    if request.method == "POST":
        services.attempt_submit(attempt=attempt, student=user_of(request))
        messages.success(request, _("Your answers were handed in."))
        return redirect("frontend:attempt-detail", attempt_id=attempt.pk)
    shown = selectors.attempt_for_student(attempt=attempt)
    answered = sum(
        1
        for item in shown["questions"]
        if item["response"] is not None and not _blank(item["response"])
    )
    return render(
        request,
        "frontend/assessments/attempt_submit.html",
        {
            "attempt": attempt,
            "assessment": attempt.assessment,
            "answered": answered,
            "total": len(shown["questions"]),
            "deadline": deadline_of(attempt),
        },
    )
