"""The demo's courses and classes, on top of the demo school system (``lms.accounts.demo``).

A mathematics course for pupils in Kyrgyz, written by the demo teacher, with a draft lesson only
its authors see; a professional-development course for teachers in Russian; a term at the
Karakol gymnasium and an e-school class of the mathematics course with a pupil of Karakol and a
pupil of the village school of Tüp enrolled (the others can join with the class code). The
mathematics course has a small question bank (questions of several types, tagged with learning
objectives); the class has a published quiz that shows the right answers after submitting and
a published assignment graded on a rubric.

Everything is written through the services, so the demo obeys the same rules as real use.
Loading is idempotent: what exists is left as it is, what is missing is created.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from courses import services
from courses.assessments import services as assessment_services
from courses.assessments.models import Assessment, GradeCategory, Question
from courses.models import Audience, Cohort, Course, Term
from lms.accounts.models import School, User


@dataclass(frozen=True)
class DemoLesson:
    title: str
    body: str
    published: bool = True


@dataclass(frozen=True)
class DemoModule:
    title: str
    lessons: list[DemoLesson] = field(default_factory=list)


@dataclass(frozen=True)
class DemoCourse:
    author: str
    title: str
    subject: str
    grade_level: int | None
    language: str
    audience: str
    description: str
    modules: list[DemoModule]


DEMO_COURSES = [
    DemoCourse(
        author="demo-teacher",
        title="Математика, 7-класс",
        subject="Математика",
        grade_level=7,
        language="ky",
        audience=Audience.STUDENTS,
        description="Бөлчөктөр жана пайыздар: кыска сабактар, телефондон окууга ыңгайлуу.",
        modules=[
            DemoModule(
                "Бөлчөктөр",
                [
                    DemoLesson(
                        "Жай бөлчөк деген эмне?",
                        "## Жай бөлчөк\n\nНанды **4** бөлүккө бөлүп, **3** бөлүгүн алсак, "
                        "бул — **3/4**.\n\n- Алымы: канча бөлүк алдык (3)\n"
                        "- Бөлүмү: бүтүн канча бөлүккө бөлүндү (4)\n",
                    ),
                    DemoLesson(
                        "Бөлчөктөрдү кошуу",
                        "## Бөлүмдөрү бирдей бөлчөктөр\n\n1/5 + 2/5 = 3/5: алымдарын кошобуз, "
                        "бөлүмү ошол бойдон калат.\n\n> Көнүгүү: 2/7 + 3/7 = ?\n",
                    ),
                ],
            ),
            DemoModule(
                "Пайыздар",
                [
                    DemoLesson(
                        "Пайыз деген эмне?",
                        "## Пайыз — жүздөн бир бөлүк\n\n1% = 1/100. Класста 20 окуучу болсо, "
                        "алардын 10% — 2 окуучу.\n",
                    ),
                    DemoLesson(
                        "Пайызга маселелер (даярдалууда)",
                        "Бул сабак али жарыялана элек: аны курстун авторлору гана көрөт.\n",
                        published=False,
                    ),
                ],
            ),
        ],
    ),
    DemoCourse(
        author="demo-teacher-2",
        title="Смешанный урок: класс и удалённые ученики",
        subject="Методика",
        grade_level=None,
        language="ru",
        audience=Audience.TEACHERS,
        description="Курс повышения квалификации: как вести урок для класса и сельских школ.",
        modules=[
            DemoModule(
                "Подготовка урока",
                [
                    DemoLesson(
                        "Что проверить до начала",
                        "## Перед уроком\n\n1. Связь с удалёнными классами.\n"
                        "2. Материалы урока загружены заранее (ученики платят за трафик).\n"
                        "3. У фасилитатора есть план урока.\n",
                    ),
                ],
            ),
        ],
    ),
]

DEMO_TERM_SCHOOL = "kg-ik-karakol-1"
DEMO_TERM_NAME = "2026–2027, 2-чейрек"
DEMO_TERM_DATES = (date(2026, 11, 9), date(2026, 12, 28))
DEMO_CLASS_NAME = "7-А математика (электрондук мектеп)"
DEMO_CLASS_COURSE = "Математика, 7-класс"
DEMO_CLASS_TEACHERS = ["demo-teacher"]
DEMO_CLASS_STUDENTS = ["demo-student", "demo-student-tup"]


@transaction.atomic
def demo_courses_load() -> dict[str, int]:
    """Create what is missing of the demo's courses, term and class. Needs the demo people
    (``lms.accounts.demo.demo_load``) first."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("The demo is never loaded in production.")
    people = {user.username: user for user in User.objects.filter(username__startswith="demo-")}
    courses = {item.title: _course(item, people[item.author]) for item in DEMO_COURSES}
    region_admin = people["demo-region-admin"]
    school = School.objects.get(code=DEMO_TERM_SCHOOL)
    term = Term.objects.filter(school=school, name=DEMO_TERM_NAME).first()
    if term is None:
        starts_on, ends_on = DEMO_TERM_DATES
        term = services.term_create(
            by=region_admin,
            school=school,
            name=DEMO_TERM_NAME,
            starts_on=starts_on,
            ends_on=ends_on,
        )
    cohort = Cohort.objects.filter(term=term, name=DEMO_CLASS_NAME).first()
    if cohort is None:
        cohort = services.cohort_create(
            by=region_admin,
            term=term,
            course=courses[DEMO_CLASS_COURSE],
            name=DEMO_CLASS_NAME,
            teachers=[people[name] for name in DEMO_CLASS_TEACHERS],
            allow_self_enrol=True,
        )
    for name in DEMO_CLASS_STUDENTS:
        services.enrolment_create(cohort=cohort, student=people[name], by=region_admin)
    teacher = people[DEMO_CLASS_TEACHERS[0]]
    bank = _bank(courses[DEMO_CLASS_COURSE], teacher)
    _assessments(cohort, teacher, bank)
    return {"courses": len(courses), "classes": 1}


def _course(item: DemoCourse, author: User) -> Course:
    course = Course.objects.filter(teachers=author, title=item.title).first()
    if course is not None:
        return course
    course = services.course_create(
        by=author,
        title=item.title,
        subject=item.subject,
        grade_level=item.grade_level,
        language=item.language,
        audience=item.audience,
        description=item.description,
    )
    for module_item in item.modules:
        module = services.module_create(course=course, by=author, title=module_item.title)
        services.module_update(module=module, by=author, data={"is_published": True})
        for lesson_item in module_item.lessons:
            lesson = services.lesson_create(
                module=module, by=author, title=lesson_item.title, body_markdown=lesson_item.body
            )
            if lesson_item.published:
                services.lesson_update(lesson=lesson, by=author, data={"is_published": True})
    return course


# --- the question bank and the class's quiz and assignment ------------------------------------
def _key(text: str, percent: int = 0, feedback: str = "", **other: Any) -> dict[str, Any]:
    return {"text": text, "fraction": Decimal(percent) / 100, "feedback": feedback, **other}


DEMO_QUESTIONS: list[dict[str, Any]] = [
    {
        "kind": "single",
        "title": "Бөлчөктөрдү кошуу",
        "text_markdown": "**1/5 + 2/5** канчага барабар?",
        "objectives": ["fractions"],
        "keys": [
            _key("3/5", 100, "Туура: алымдарын кошобуз, бөлүмү ошол бойдон калат."),
            _key("3/10", 0, "Бөлүмдөрүн кошпойбуз."),
            _key("2/25", 0, "Бул көбөйтүү эмес."),
        ],
    },
    {
        "kind": "true_false",
        "title": "Жарым — 50%",
        "text_markdown": "1/2 бул 50% го барабар.",
        "objectives": ["percent"],
        "keys": [_key("Туура", 100), _key("Туура эмес", 0, "1/2 = 50/100 = 50%.")],
    },
    {
        "kind": "numeric",
        "title": "20нын 10%",
        "text_markdown": "Класста 20 окуучу бар. Алардын 10% канча окуучу?",
        "objectives": ["percent"],
        "keys": [_key("", 100, "Туура!", value=Decimal(2), tolerance=Decimal(0))],
    },
    {
        "kind": "short_text",
        "title": "Алымы",
        "text_markdown": "Бөлчөктүн сызыктын үстүндөгү саны кандай аталат?",
        "objectives": ["fractions"],
        "keys": [_key("алымы", 100), _key("алым", 100)],
    },
    {
        "kind": "multiple",
        "title": "Жарымга барабарлар",
        "text_markdown": "Кайсылары 1/2 ге барабар? Бардыгын тандагыла.",
        "objectives": ["fractions", "percent"],
        "keys": [_key("2/4", 50), _key("50%", 50), _key("1/5", -100, "1/5 = 20%.")],
    },
    {
        "kind": "matching",
        "title": "Бөлчөк жана пайыз",
        "text_markdown": "Ар бир бөлчөккө анын пайызын тапкыла.",
        "objectives": ["percent"],
        "keys": [
            _key("1/2", match="50%"),
            _key("1/4", match="25%"),
            _key("1/10", match="10%"),
        ],
    },
    {
        "kind": "ordering",
        "title": "Кичинесинен чоңуна",
        "text_markdown": "Бөлчөктөрдү кичинесинен чоңуна карай тизгиле.",
        "objectives": ["fractions"],
        "keys": [_key("1/4"), _key("1/2"), _key("3/4")],
    },
    {
        "kind": "essay",
        "title": "Пайыз күндөлүк турмушта",
        "text_markdown": "Дүкөндө пайыз кайда колдонулат? Бир мисал жазгыла.",
        "objectives": ["percent"],
        "keys": [],
    },
]
DEMO_QUIZ_TITLE = "Бөлчөктөр жана пайыздар: текшерүү"
DEMO_QUIZ_QUESTIONS = [item["title"] for item in DEMO_QUESTIONS[:7]]
DEMO_ASSIGNMENT_TITLE = "Пайыздар: үй тапшырмасы"
DEMO_CATEGORIES = [("Тесттер", Decimal(60)), ("Үй тапшырмалары", Decimal(40))]
DEMO_DUE_IN = timedelta(days=21)  # from the first load, so that the demo quiz can be taken


def _bank(course: Course, author: User) -> dict[str, Question]:
    existing = {question.title: question for question in Question.objects.filter(course=course)}
    for item in DEMO_QUESTIONS:
        if item["title"] not in existing:
            existing[item["title"]] = assessment_services.question_create(
                course=course, by=author, **item
            )
    return existing


def _assessments(cohort: Cohort, teacher: User, bank: dict[str, Question]) -> None:
    categories: dict[str, GradeCategory] = {
        category.name: category for category in GradeCategory.objects.filter(cohort=cohort)
    }
    for name, weight in DEMO_CATEGORIES:
        if name not in categories:
            categories[name] = assessment_services.grade_category_create(
                cohort=cohort, by=teacher, name=name, weight=weight
            )
    titles = set(Assessment.objects.filter(cohort=cohort).values_list("title", flat=True))
    due_at = (timezone.now() + DEMO_DUE_IN).replace(hour=12, minute=0, second=0, microsecond=0)
    if DEMO_QUIZ_TITLE not in titles:
        quiz = assessment_services.assessment_create(
            cohort=cohort,
            by=teacher,
            kind="quiz",
            title=DEMO_QUIZ_TITLE,
            instructions_markdown="Жети суроо. Жоопторуңар жазылган сайын сакталат.",
            due_at=due_at,
            reveal="after_submit",
            time_limit_minutes=30,
            max_attempts=2,
            shuffle_options=True,
            category=categories[DEMO_CATEGORIES[0][0]],
            questions=[{"question": bank[title].pk} for title in DEMO_QUIZ_QUESTIONS],
        )
        assessment_services.assessment_publish(assessment=quiz, by=teacher)
    if DEMO_ASSIGNMENT_TITLE not in titles:
        assignment = assessment_services.assessment_create(
            cohort=cohort,
            by=teacher,
            kind="assignment",
            title=DEMO_ASSIGNMENT_TITLE,
            instructions_markdown=(
                "Дүкөндөгү үч буюмдун баасын жазып, ар бирине 15% арзандатуу эсептегиле. "
                "Эсептөөнү дептериңерге жазып, сүрөткө тартып жибергиле."
            ),
            due_at=due_at + timedelta(days=7),
            late_policy="penalty",
            late_penalty_percent=Decimal(10),
            category=categories[DEMO_CATEGORIES[1][0]],
            rubric=[
                {"title": "Туура эсептөө", "description": "Үч эсеп тең туура.", "points": 6},
                {"title": "Түшүндүрмө", "description": "Ар бир кадам жазылган.", "points": 4},
            ],
        )
        assessment_services.assessment_publish(assessment=assignment, by=teacher)
