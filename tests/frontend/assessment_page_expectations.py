"""What each role gets from each page of question banks, quizzes and assignments, taking a quiz,
gradebooks and marking, written out by hand as tables (not computed from
``courses.assessments.policies``, so that a wrong policy cannot agree with itself).

The rules the tables follow (``frontend/bank_pages.py``, ``assessment_pages.py``,
``quiz_pages.py``, ``gradebook_pages.py``, ``marking_pages.py``):

- a course's question bank is written by its authors and the platform administrator, and read
  by the teachers of the course's classes as well;
- a class's quizzes and assignments, its gradebook, a pupil's grade, the marking of handed-in
  work are for the class's teachers and the platform administrator;
- the class's pupils see its published quizzes and assignments, start a quiz, hand in an
  assignment, read and answer their own attempts and read "my grades";
- the marking queue across one's classes is everyone's own (empty unless they teach);
- everybody else gets the page of an id that does not exist (404): the pages never answer 403,
  not even to those who see the class on the classes pages (administrators); a visitor who has
  not signed in is sent to the sign-in page.

The roles are those of ``tests/frontend/test_page_permissions.py`` (placed around the class of
school A1), and ``anonymous``. The targets (the columns):

- courses and their banks: ``a1`` (the course of the classes ``a1`` and ``a1b``), ``a2``
  (another school of region A), ``b1`` (another region); questions: the spare question of each
  bank, and ``a1-in-quiz``, a question of the A1 bank that the classes' quizzes use;
- classes: ``a1`` (the own class, taught by ``class_teacher``, with ``student_a1``), ``a1b``
  (another class of A1 and of the same course, whose teacher and pupil are no role), ``a2``
  (taught by ``teacher_a2``, with ``student_a2``), ``b1`` (with ``student_b1``);
- each class's published quiz (which its pupil took and was graded in; one attempt is left),
  and ``a1-draft``, a quiz of the class of A1 that is not published;
- grades: the quiz of each class with its pupil, and ``a1-pupil-a1b``, the quiz of the class
  of A1 with the pupil of the other class of A1;
- each class's published assignment (its pupil handed it in; two hand-ins are left),
  ``a1-quiz`` (the quiz of A1, where an assignment is expected) and ``a1-draft`` (an assignment
  of A1 that is not published);
- a pupil's attempt: the attempt in progress at another published quiz of each class,
  ``a1-graded`` (the graded quiz attempt of the pupil of A1), ``a1-hand-in`` (their handed-in
  assignment), ``a1-withdrawn`` (their attempt in progress at a quiz of the class of A1 that
  the teacher then withdrew) and ``a1-left`` (the attempt in progress of
  ``unenrolled_student_a1``, who was in the class of A1 when they started it, and left);
- work to mark: each class's handed-in assignment, and ``a1-in-progress`` (the attempt of the
  pupil of A1 that is not handed in yet);
- ``-``: a page about no object.

A cell is ``OK`` (the page's answer when it does what was asked, given with the page: 200 for a
page shown, ``302+`` for a form that saved and redirected), ``login`` (sent to sign in), or a
status; ``+`` after a status says the request wrote to the database (an accepted form). Every
other cell writes nothing, and a 404 is exactly the page of a missing id.
"""

from tests.assessments.matrix import Outcome, table_cells
from tests.frontend.test_page_permissions import ROLES as PAGE_ROLES

ROLES = ("anonymous", *PAGE_ROLES)
SIGN_IN = "sign-in"  # the answer of a login-required page to a visitor: 302 to the sign-in page

Table = dict[str, dict[str, Outcome]]


def outcome(cell: str) -> Outcome:
    """``"404"`` → (404, False); ``"302+"`` → (302, True); ``"login"`` → (SIGN_IN, False)."""
    if cell == "login":
        return SIGN_IN, False
    return int(cell.removesuffix("+")), cell.endswith("+")


def table(text: str, *, ok: str, but: dict[tuple[str, str], str] | None = None) -> Table:
    """A table written as text: a header of targets, then one row per role, ``OK`` cells
    standing for ``ok``; ``but`` changes single cells, by (role, target), for a page that
    differs from the table in them only."""
    parsed: Table = {
        role: {target: outcome(ok if cell == "OK" else cell) for target, cell in row.items()}
        for role, row in table_cells(text, ROLES).items()
    }
    for (role, target), cell in (but or {}).items():
        assert target in parsed[role], (role, target)
        parsed[role][target] = outcome(cell)
    return parsed


# --- the question bank of a course ----------------------------------------------------------------
# The list of questions: its authors, the teachers of its classes, the platform administrator.
BANK_READ = """
                        a1     a2     b1
anonymous               login  login  login
platform_admin          OK     OK     OK
region_admin_a          404    404    404
region_admin_b          404    404    404
school_admin_a1         404    404    404
school_admin_a2         404    404    404
school_admin_b1         404    404    404
author                  OK     404    404
class_teacher           OK     404    404
uninvolved_teacher_a1   404    404    404
teacher_a2              404    OK     404
facilitator             404    404    404
student_a1              404    404    404
unenrolled_student_a1   404    404    404
student_a2              404    404    404
student_b1              404    404    404
"""
# A new question, an import: its authors and the platform administrator (the teachers of its
# classes read the bank, and do not learn more here: 404).
BANK_WRITE = """
                        a1     a2     b1
anonymous               login  login  login
platform_admin          OK     OK     OK
region_admin_a          404    404    404
region_admin_b          404    404    404
school_admin_a1         404    404    404
school_admin_a2         404    404    404
school_admin_b1         404    404    404
author                  OK     404    404
class_teacher           404    404    404
uninvolved_teacher_a1   404    404    404
teacher_a2              404    OK     404
facilitator             404    404    404
student_a1              404    404    404
unenrolled_student_a1   404    404    404
student_a2              404    404    404
student_b1              404    404    404
"""
# Changing one question (a question a quiz uses too).
QUESTION_EDIT = """
                        a1     a1-in-quiz  a2     b1
anonymous               login  login       login  login
platform_admin          OK     OK          OK     OK
region_admin_a          404    404         404    404
region_admin_b          404    404         404    404
school_admin_a1         404    404         404    404
school_admin_a2         404    404         404    404
school_admin_b1         404    404         404    404
author                  OK     OK          404    404
class_teacher           404    404         404    404
uninvolved_teacher_a1   404    404         404    404
teacher_a2              404    404         OK     404
facilitator             404    404         404    404
student_a1              404    404         404    404
unenrolled_student_a1   404    404         404    404
student_a2              404    404         404    404
student_b1              404    404         404    404
"""
# Deleting a question: one that a quiz uses is kept, the page goes back to the question with
# the reason (302, nothing deleted).
QUESTION_DELETE = """
                        a1     a1-in-quiz  a2     b1
anonymous               login  login       login  login
platform_admin          OK     302         OK     OK
region_admin_a          404    404         404    404
region_admin_b          404    404         404    404
school_admin_a1         404    404         404    404
school_admin_a2         404    404         404    404
school_admin_b1         404    404         404    404
author                  OK     302         404    404
class_teacher           404    404         404    404
uninvolved_teacher_a1   404    404         404    404
teacher_a2              404    404         OK     404
facilitator             404    404         404    404
student_a1              404    404         404    404
unenrolled_student_a1   404    404         404    404
student_a2              404    404         404    404
student_b1              404    404         404    404
"""

# --- a class --------------------------------------------------------------------------------------
# The list of a class's quizzes and assignments: its teachers (everything) and its pupils (what
# is published). Administrators who see the class on the classes pages do not see these.
CLASS_SEEN = """
                        a1     a1b    a2     b1
anonymous               login  login  login  login
platform_admin          OK     OK     OK     OK
region_admin_a          404    404    404    404
region_admin_b          404    404    404    404
school_admin_a1         404    404    404    404
school_admin_a2         404    404    404    404
school_admin_b1         404    404    404    404
author                  404    404    404    404
class_teacher           OK     404    404    404
uninvolved_teacher_a1   404    404    404    404
teacher_a2              404    404    OK     404
facilitator             404    404    404    404
student_a1              OK     404    404    404
unenrolled_student_a1   404    404    404    404
student_a2              404    404    OK     404
student_b1              404    404    404    OK
"""
# What the class's teachers do: a new quiz or assignment, the gradebook and its categories,
# the class's marking queue.
CLASS_RUN = """
                        a1     a1b    a2     b1
anonymous               login  login  login  login
platform_admin          OK     OK     OK     OK
region_admin_a          404    404    404    404
region_admin_b          404    404    404    404
school_admin_a1         404    404    404    404
school_admin_a2         404    404    404    404
school_admin_b1         404    404    404    404
author                  404    404    404    404
class_teacher           OK     404    404    404
uninvolved_teacher_a1   404    404    404    404
teacher_a2              404    404    OK     404
facilitator             404    404    404    404
student_a1              404    404    404    404
unenrolled_student_a1   404    404    404    404
student_a2              404    404    404    404
student_b1              404    404    404    404
"""
# A pupil's own grades in a class they are in.
MY_GRADES = """
                        a1     a1b    a2     b1
anonymous               login  login  login  login
platform_admin          404    404    404    404
region_admin_a          404    404    404    404
region_admin_b          404    404    404    404
school_admin_a1         404    404    404    404
school_admin_a2         404    404    404    404
school_admin_b1         404    404    404    404
author                  404    404    404    404
class_teacher           404    404    404    404
uninvolved_teacher_a1   404    404    404    404
teacher_a2              404    404    404    404
facilitator             404    404    404    404
student_a1              OK     404    404    404
unenrolled_student_a1   404    404    404    404
student_a2              404    404    OK     404
student_b1              404    404    404    OK
"""

# --- a quiz of a class ----------------------------------------------------------------------------
# Seen by the class's teachers (drafts too) and, once published, by its pupils.
ASSESSMENT_READ = """
                        a1     a1b    a2     b1     a1-draft
anonymous               login  login  login  login  login
platform_admin          OK     OK     OK     OK     OK
region_admin_a          404    404    404    404    404
region_admin_b          404    404    404    404    404
school_admin_a1         404    404    404    404    404
school_admin_a2         404    404    404    404    404
school_admin_b1         404    404    404    404    404
author                  404    404    404    404    404
class_teacher           OK     404    404    404    OK
uninvolved_teacher_a1   404    404    404    404    404
teacher_a2              404    404    OK     404    404
facilitator             404    404    404    404    404
student_a1              OK     404    404    404    404
unenrolled_student_a1   404    404    404    404    404
student_a2              404    404    OK     404    404
student_b1              404    404    404    OK     404
"""
# Publishing or withdrawing it: the class's teachers; its pupils see it and get 404 too.
ASSESSMENT_RUN = """
                        a1     a1b    a2     b1     a1-draft
anonymous               login  login  login  login  login
platform_admin          OK     OK     OK     OK     OK
region_admin_a          404    404    404    404    404
region_admin_b          404    404    404    404    404
school_admin_a1         404    404    404    404    404
school_admin_a2         404    404    404    404    404
school_admin_b1         404    404    404    404    404
author                  404    404    404    404    404
class_teacher           OK     404    404    404    OK
uninvolved_teacher_a1   404    404    404    404    404
teacher_a2              404    404    OK     404    404
facilitator             404    404    404    404    404
student_a1              404    404    404    404    404
unenrolled_student_a1   404    404    404    404    404
student_a2              404    404    404    404    404
student_b1              404    404    404    404    404
"""
# Starting an attempt: the class's pupils, once it is published.
ATTEMPT_START = """
                        a1     a1b    a2     b1     a1-draft
anonymous               login  login  login  login  login
platform_admin          404    404    404    404    404
region_admin_a          404    404    404    404    404
region_admin_b          404    404    404    404    404
school_admin_a1         404    404    404    404    404
school_admin_a2         404    404    404    404    404
school_admin_b1         404    404    404    404    404
author                  404    404    404    404    404
class_teacher           404    404    404    404    404
uninvolved_teacher_a1   404    404    404    404    404
teacher_a2              404    404    404    404    404
facilitator             404    404    404    404    404
student_a1              OK     404    404    404    404
unenrolled_student_a1   404    404    404    404    404
student_a2              404    404    OK     404    404
student_b1              404    404    404    OK     404
"""
# Publishing its grades, and (for an assignment) the list of what was handed in: its teachers.
ASSESSMENT_TEACHERS = """
                        a1     a1b    a2     b1
anonymous               login  login  login  login
platform_admin          OK     OK     OK     OK
region_admin_a          404    404    404    404
region_admin_b          404    404    404    404
school_admin_a1         404    404    404    404
school_admin_a2         404    404    404    404
school_admin_b1         404    404    404    404
author                  404    404    404    404
class_teacher           OK     404    404    404
uninvolved_teacher_a1   404    404    404    404
teacher_a2              404    404    OK     404
facilitator             404    404    404    404
student_a1              404    404    404    404
unenrolled_student_a1   404    404    404    404
student_a2              404    404    404    404
student_b1              404    404    404    404
"""
# One pupil's grade in the quiz (reading, overriding, lifting the override): the class's
# teachers; a pupil who is not in the class is not found, even for them.
GRADE = """
                        a1     a1b    a2     b1     a1-pupil-a1b
anonymous               login  login  login  login  login
platform_admin          OK     OK     OK     OK     404
region_admin_a          404    404    404    404    404
region_admin_b          404    404    404    404    404
school_admin_a1         404    404    404    404    404
school_admin_a2         404    404    404    404    404
school_admin_b1         404    404    404    404    404
author                  404    404    404    404    404
class_teacher           OK     404    404    404    404
uninvolved_teacher_a1   404    404    404    404    404
teacher_a2              404    404    OK     404    404
facilitator             404    404    404    404    404
student_a1              404    404    404    404    404
unenrolled_student_a1   404    404    404    404    404
student_a2              404    404    404    404    404
student_b1              404    404    404    404    404
"""

# --- an assignment, handed in ---------------------------------------------------------------------
# The hand-in page and form: the class's pupils, for a published assignment; a quiz is not
# handed in (404 for everyone).
HAND_IN = """
                        a1     a1b    a2     b1     a1-quiz  a1-draft
anonymous               login  login  login  login  login    login
platform_admin          404    404    404    404    404      404
region_admin_a          404    404    404    404    404      404
region_admin_b          404    404    404    404    404      404
school_admin_a1         404    404    404    404    404      404
school_admin_a2         404    404    404    404    404      404
school_admin_b1         404    404    404    404    404      404
author                  404    404    404    404    404      404
class_teacher           404    404    404    404    404      404
uninvolved_teacher_a1   404    404    404    404    404      404
teacher_a2              404    404    404    404    404      404
facilitator             404    404    404    404    404      404
student_a1              OK     404    404    404    404      404
unenrolled_student_a1   404    404    404    404    404      404
student_a2              404    404    OK     404    404      404
student_b1              404    404    404    OK     404      404
"""
# Reading handed-in work as its teacher marks it, and marking it: the class's teachers; an
# attempt still in progress is not there to be marked.
MARKING = """
                        a1     a1b    a2     b1     a1-in-progress
anonymous               login  login  login  login  login
platform_admin          OK     OK     OK     OK     404
region_admin_a          404    404    404    404    404
region_admin_b          404    404    404    404    404
school_admin_a1         404    404    404    404    404
school_admin_a2         404    404    404    404    404
school_admin_b1         404    404    404    404    404
author                  404    404    404    404    404
class_teacher           OK     404    404    404    404
uninvolved_teacher_a1   404    404    404    404    404
teacher_a2              404    404    OK     404    404
facilitator             404    404    404    404    404
student_a1              404    404    404    404    404
unenrolled_student_a1   404    404    404    404    404
student_a2              404    404    404    404    404
student_b1              404    404    404    404    404
"""
# The marking queue across the classes one teaches: everyone signed in has theirs.
EVERYONE = """
                        -
anonymous               login
platform_admin          OK
region_admin_a          OK
region_admin_b          OK
school_admin_a1         OK
school_admin_a2         OK
school_admin_b1         OK
author                  OK
class_teacher           OK
uninvolved_teacher_a1   OK
teacher_a2              OK
facilitator             OK
student_a1              OK
unenrolled_student_a1   OK
student_a2              OK
student_b1              OK
"""

# --- a pupil's attempt ----------------------------------------------------------------------------
# Reading it: its pupil only (the class's teachers read handed-in work on the marking page). A
# graded quiz attempt shows its result; an assignment's hand-in is shown on the assignment's
# page, where this one redirects.
OWN_ATTEMPT_READ = """
                        a1     a1b    a2     b1     a1-graded  a1-hand-in  a1-withdrawn  a1-left
anonymous               login  login  login  login  login      login       login         login
platform_admin          404    404    404    404    404        404         404           404
region_admin_a          404    404    404    404    404        404         404           404
region_admin_b          404    404    404    404    404        404         404           404
school_admin_a1         404    404    404    404    404        404         404           404
school_admin_a2         404    404    404    404    404        404         404           404
school_admin_b1         404    404    404    404    404        404         404           404
author                  404    404    404    404    404        404         404           404
class_teacher           404    404    404    404    404        404         404           404
uninvolved_teacher_a1   404    404    404    404    404        404         404           404
teacher_a2              404    404    404    404    404        404         404           404
facilitator             404    404    404    404    404        404         404           404
student_a1              OK     404    404    404    200        302         404           404
unenrolled_student_a1   404    404    404    404    404        404         404           404
student_a2              404    404    OK     404    404        404         404           404
student_b1              404    404    404    OK     404        404         404           404
"""
# Answering it (the form, one answer by htmx or not) and handing it in: its pupil only, while
# it is in progress; a handed-in attempt sends them back to its result, writing nothing; an
# assignment is not answered here (404).
OWN_QUIZ_ATTEMPT = """
                        a1     a1b    a2     b1     a1-graded  a1-hand-in  a1-withdrawn  a1-left
anonymous               login  login  login  login  login      login       login         login
platform_admin          404    404    404    404    404        404         404           404
region_admin_a          404    404    404    404    404        404         404           404
region_admin_b          404    404    404    404    404        404         404           404
school_admin_a1         404    404    404    404    404        404         404           404
school_admin_a2         404    404    404    404    404        404         404           404
school_admin_b1         404    404    404    404    404        404         404           404
author                  404    404    404    404    404        404         404           404
class_teacher           404    404    404    404    404        404         404           404
uninvolved_teacher_a1   404    404    404    404    404        404         404           404
teacher_a2              404    404    404    404    404        404         404           404
facilitator             404    404    404    404    404        404         404           404
student_a1              OK     404    404    404    302        404         404           404
unenrolled_student_a1   404    404    404    404    404        404         404           404
student_a2              404    404    OK     404    404        404         404           404
student_b1              404    404    404    OK     404        404         404           404
"""
