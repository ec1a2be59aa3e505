"""What each role may do with each assessments endpoint, written out by hand as tables (not
computed from ``courses.assessments.policies``, so that a wrong policy cannot agree with
itself), and the rules the tables follow.

The roles: one person of each kind, placed around the class of school A1 ("own class"):

- ``anonymous``: a visitor who has not signed in;
- ``inactive_teacher`` / ``inactive_pupil``: a teacher and a pupil of the class of A1 who were
  signed in (a session) when their accounts were switched off;
- ``platform_admin``, ``region_admin_a`` / ``region_admin_b`` (the region of A1 / the other
  region), ``school_admin_a1`` / ``school_admin_a2`` (another school of the same region) /
  ``school_admin_b1`` (another region);
- ``author``: wrote the course of A1, teaches no class;
- ``class_teacher``: teaches the class of A1 (not an author);
- ``teacher_a1b``: teaches another class of A1 (the same course, a second class);
- ``uninvolved_teacher_a1``: a teacher of A1 who teaches no class and wrote no course;
- ``teacher_a2`` / ``teacher_b1``: teachers of another school / another region, each the
  author of their school's course and the teacher of its class;
- ``facilitator``: a facilitator of A1;
- ``student_a1`` (in the class of A1), ``student_a1b`` (in the other class of A1),
  ``student_a2``, ``student_b1`` (pupils of the classes of A2 and B1).

The targets (the columns of the tables):

- classes: ``a1`` (own class), ``a1b`` (another class of the same school and course), ``a2``
  (another school, same region), ``b1`` (another region); each target's quiz, assignment,
  attempt, handed-in work and pupil are those of that class;
- courses and their question banks: ``a1`` (the course of the classes a1 and a1b), ``a2``,
  ``b1``;
- ``a1-draft``: a quiz of the class of A1 that is not published;
- ``a1-pupil-a1b``: the quiz of the class of A1 with the pupil of the other class of A1;
- ``a1-in-quiz``: a question of the A1 bank that the class's quizzes use;
- ``a1-in-progress``: the attempt of the pupil of A1 that is not handed in yet;
- ``a1-quiz``: the quiz of the class of A1, where an assignment is expected;
- ``-``: a route about no object (the marking queue across one's classes).

In a table, ``OK`` is the endpoint's success status (200, 201, 202 or 204). A refusal about
something the person may not know exists is 404, exactly as for an id that does not exist; a
refusal about something they see is 403; a visitor (and a switched-off account) gets 401.
"""

from tests.assessments.matrix import PUPIL_OF, TEACHER_OF, table_cells

ROLES = (
    "anonymous",
    "inactive_teacher",
    "inactive_pupil",
    "platform_admin",
    "region_admin_a",
    "region_admin_b",
    "school_admin_a1",
    "school_admin_a2",
    "school_admin_b1",
    "author",
    "class_teacher",
    "teacher_a1b",
    "uninvolved_teacher_a1",
    "teacher_a2",
    "teacher_b1",
    "facilitator",
    "student_a1",
    "student_a1b",
    "student_a2",
    "student_b1",
)

# The rules the tables follow, in words (the tables are the test; these sets only document):
# - the question bank of a course is read by its authors and the teachers of its classes (to
#   build quizzes) and written by its authors; the platform administrator does both;
# - a class's quizzes, gradebook, grade categories and grades are run by its teachers and the
#   platform administrator; its pupils see its published quizzes and take them;
# - an attempt is its pupil's: only they read, save and submit it; the class's teachers read
#   and mark it once it is handed in; a handed-in file is the pupil's and the teachers';
# - "my grades" are a pupil's own, in a class they are in.
Table = dict[str, dict[str, int]]


def table(text: str, *, ok: int) -> Table:
    """A table written as text: a header of targets, then one row per role."""
    return {
        role: {target: ok if cell == "OK" else int(cell) for target, cell in row.items()}
        for role, row in table_cells(text, ROLES).items()
    }


# --- the question bank of a course -----------------------------------------------------------
BANK_READ = """
                        a1   a2   b1
anonymous               401  401  401
inactive_teacher        401  401  401
inactive_pupil          401  401  401
platform_admin          OK   OK   OK
region_admin_a          403  403  404
region_admin_b          404  404  403
school_admin_a1         403  404  404
school_admin_a2         404  403  404
school_admin_b1         404  404  403
author                  OK   404  404
class_teacher           OK   404  404
teacher_a1b             OK   404  404
uninvolved_teacher_a1   404  404  404
teacher_a2              404  OK   404
teacher_b1              404  404  OK
facilitator             404  404  404
student_a1              403  404  404
student_a1b             403  404  404
student_a2              404  403  404
student_b1              404  404  403
"""
BANK_WRITE = """
                        a1   a2   b1
anonymous               401  401  401
inactive_teacher        401  401  401
inactive_pupil          401  401  401
platform_admin          OK   OK   OK
region_admin_a          403  403  404
region_admin_b          404  404  403
school_admin_a1         403  404  404
school_admin_a2         404  403  404
school_admin_b1         404  404  403
author                  OK   404  404
class_teacher           403  404  404
teacher_a1b             403  404  404
uninvolved_teacher_a1   404  404  404
teacher_a2              404  OK   404
teacher_b1              404  404  OK
facilitator             404  404  404
student_a1              403  404  404
student_a1b             403  404  404
student_a2              404  403  404
student_b1              404  404  403
"""
# One question of a bank: only those who read the bank know it exists.
QUESTION_READ = """
                        a1   a2   b1
anonymous               401  401  401
inactive_teacher        401  401  401
inactive_pupil          401  401  401
platform_admin          OK   OK   OK
region_admin_a          404  404  404
region_admin_b          404  404  404
school_admin_a1         404  404  404
school_admin_a2         404  404  404
school_admin_b1         404  404  404
author                  OK   404  404
class_teacher           OK   404  404
teacher_a1b             OK   404  404
uninvolved_teacher_a1   404  404  404
teacher_a2              404  OK   404
teacher_b1              404  404  OK
facilitator             404  404  404
student_a1              404  404  404
student_a1b             404  404  404
student_a2              404  404  404
student_b1              404  404  404
"""
QUESTION_WRITE = """
                        a1   a2   b1
anonymous               401  401  401
inactive_teacher        401  401  401
inactive_pupil          401  401  401
platform_admin          OK   OK   OK
region_admin_a          404  404  404
region_admin_b          404  404  404
school_admin_a1         404  404  404
school_admin_a2         404  404  404
school_admin_b1         404  404  404
author                  OK   404  404
class_teacher           403  404  404
teacher_a1b             403  404  404
uninvolved_teacher_a1   404  404  404
teacher_a2              404  OK   404
teacher_b1              404  404  OK
facilitator             404  404  404
student_a1              404  404  404
student_a1b             404  404  404
student_a2              404  404  404
student_b1              404  404  404
"""
# Deleting a question: also one that the class's quizzes use, which must be refused with a
# message (409) and nothing deleted.
QUESTION_DELETE = """
                        a1   a2   b1   a1-in-quiz
anonymous               401  401  401  401
inactive_teacher        401  401  401  401
inactive_pupil          401  401  401  401
platform_admin          OK   OK   OK   409
region_admin_a          404  404  404  404
region_admin_b          404  404  404  404
school_admin_a1         404  404  404  404
school_admin_a2         404  404  404  404
school_admin_b1         404  404  404  404
author                  OK   404  404  409
class_teacher           403  404  404  403
teacher_a1b             403  404  404  403
uninvolved_teacher_a1   404  404  404  404
teacher_a2              404  OK   404  404
teacher_b1              404  404  OK   404
facilitator             404  404  404  404
student_a1              404  404  404  404
student_a1b             404  404  404  404
student_a2              404  404  404  404
student_b1              404  404  404  404
"""

# --- a class ----------------------------------------------------------------------------------
# Who sees the class at all (the classes API's rule): administrators over its region (school
# administrators too, to enrol their pupils into the e-school's classes), its teachers, its
# pupils. Its list of quizzes answers them; what the list holds is tested apart.
CLASS_SEEN = """
                        a1   a1b  a2   b1
anonymous               401  401  401  401
inactive_teacher        401  401  401  401
inactive_pupil          401  401  401  401
platform_admin          OK   OK   OK   OK
region_admin_a          OK   OK   OK   404
region_admin_b          404  404  404  OK
school_admin_a1         OK   OK   OK   404
school_admin_a2         OK   OK   OK   404
school_admin_b1         404  404  404  OK
author                  404  404  404  404
class_teacher           OK   404  404  404
teacher_a1b             404  OK   404  404
uninvolved_teacher_a1   404  404  404  404
teacher_a2              404  404  OK   404
teacher_b1              404  404  404  OK
facilitator             404  404  404  404
student_a1              OK   404  404  404
student_a1b             404  OK   404  404
student_a2              404  404  OK   404
student_b1              404  404  404  OK
"""
# What the class's teachers do: build quizzes, read the gradebook (JSON and CSV), keep the
# grade categories. Whoever else sees the class is refused with 403.
CLASS_RUN = """
                        a1   a1b  a2   b1
anonymous               401  401  401  401
inactive_teacher        401  401  401  401
inactive_pupil          401  401  401  401
platform_admin          OK   OK   OK   OK
region_admin_a          403  403  403  404
region_admin_b          404  404  404  403
school_admin_a1         403  403  403  404
school_admin_a2         403  403  403  404
school_admin_b1         404  404  404  403
author                  404  404  404  404
class_teacher           OK   404  404  404
teacher_a1b             404  OK   404  404
uninvolved_teacher_a1   404  404  404  404
teacher_a2              404  404  OK   404
teacher_b1              404  404  404  OK
facilitator             404  404  404  404
student_a1              403  404  404  404
student_a1b             404  403  404  404
student_a2              404  404  403  404
student_b1              404  404  404  403
"""
# A pupil's own grades in a class they are in.
MY_GRADES = """
                        a1   a1b  a2   b1
anonymous               401  401  401  401
inactive_teacher        401  401  401  401
inactive_pupil          401  401  401  401
platform_admin          403  403  403  403
region_admin_a          403  403  403  404
region_admin_b          404  404  404  403
school_admin_a1         403  403  403  404
school_admin_a2         403  403  403  404
school_admin_b1         404  404  404  403
author                  404  404  404  404
class_teacher           403  404  404  404
teacher_a1b             404  403  404  404
uninvolved_teacher_a1   404  404  404  404
teacher_a2              404  404  403  404
teacher_b1              404  404  404  403
facilitator             404  404  404  404
student_a1              OK   404  404  404
student_a1b             404  OK   404  404
student_a2              404  404  OK   404
student_b1              404  404  404  OK
"""

# --- a quiz of a class ------------------------------------------------------------------------
# Seen by the class's teachers (drafts too) and, once published, by its pupils; by nobody else
# (administrators see the class, not its quizzes).
ASSESSMENT_READ = """
                        a1   a1b  a2   b1   a1-draft
anonymous               401  401  401  401  401
inactive_teacher        401  401  401  401  401
inactive_pupil          401  401  401  401  401
platform_admin          OK   OK   OK   OK   OK
region_admin_a          404  404  404  404  404
region_admin_b          404  404  404  404  404
school_admin_a1         404  404  404  404  404
school_admin_a2         404  404  404  404  404
school_admin_b1         404  404  404  404  404
author                  404  404  404  404  404
class_teacher           OK   404  404  404  OK
teacher_a1b             404  OK   404  404  404
uninvolved_teacher_a1   404  404  404  404  404
teacher_a2              404  404  OK   404  404
teacher_b1              404  404  404  OK   404
facilitator             404  404  404  404  404
student_a1              OK   404  404  404  404
student_a1b             404  OK   404  404  404
student_a2              404  404  OK   404  404
student_b1              404  404  404  OK   404
"""
# Publishing (or withdrawing) a quiz: the class's teachers; its pupils see it and are refused.
ASSESSMENT_RUN = """
                        a1   a1b  a2   b1   a1-draft
anonymous               401  401  401  401  401
inactive_teacher        401  401  401  401  401
inactive_pupil          401  401  401  401  401
platform_admin          OK   OK   OK   OK   OK
region_admin_a          404  404  404  404  404
region_admin_b          404  404  404  404  404
school_admin_a1         404  404  404  404  404
school_admin_a2         404  404  404  404  404
school_admin_b1         404  404  404  404  404
author                  404  404  404  404  404
class_teacher           OK   404  404  404  OK
teacher_a1b             404  OK   404  404  404
uninvolved_teacher_a1   404  404  404  404  404
teacher_a2              404  404  OK   404  404
teacher_b1              404  404  404  OK   404
facilitator             404  404  404  404  404
student_a1              403  404  404  404  404
student_a1b             404  403  404  404  404
student_a2              404  404  403  404  404
student_b1              404  404  404  403  404
"""
# Starting an attempt: the class's pupils, once published; its teachers see the quiz and are
# refused.
ATTEMPT_START = """
                        a1   a1b  a2   b1   a1-draft
anonymous               401  401  401  401  401
inactive_teacher        401  401  401  401  401
inactive_pupil          401  401  401  401  401
platform_admin          403  403  403  403  403
region_admin_a          404  404  404  404  404
region_admin_b          404  404  404  404  404
school_admin_a1         404  404  404  404  404
school_admin_a2         404  404  404  404  404
school_admin_b1         404  404  404  404  404
author                  404  404  404  404  404
class_teacher           403  404  404  404  403
teacher_a1b             404  403  404  404  404
uninvolved_teacher_a1   404  404  404  404  404
teacher_a2              404  404  403  404  404
teacher_b1              404  404  404  403  404
facilitator             404  404  404  404  404
student_a1              OK   404  404  404  404
student_a1b             404  OK   404  404  404
student_a2              404  404  OK   404  404
student_b1              404  404  404  OK   404
"""
# A pupil's grade in a quiz (override, lifting the override, history): the class's teachers;
# its pupils see the quiz and are refused; a pupil who is not in the class is not found, even
# for its teachers.
GRADE_RUN = """
                        a1   a1b  a2   b1   a1-pupil-a1b
anonymous               401  401  401  401  401
inactive_teacher        401  401  401  401  401
inactive_pupil          401  401  401  401  401
platform_admin          OK   OK   OK   OK   404
region_admin_a          404  404  404  404  404
region_admin_b          404  404  404  404  404
school_admin_a1         404  404  404  404  404
school_admin_a2         404  404  404  404  404
school_admin_b1         404  404  404  404  404
author                  404  404  404  404  404
class_teacher           OK   404  404  404  404
teacher_a1b             404  OK   404  404  404
uninvolved_teacher_a1   404  404  404  404  404
teacher_a2              404  404  OK   404  404
teacher_b1              404  404  404  OK   404
facilitator             404  404  404  404  404
student_a1              403  404  404  404  403
student_a1b             404  403  404  404  404
student_a2              404  404  403  404  404
student_b1              404  404  404  403  404
"""
# Publishing a quiz's grades, listing its submissions: the class's teachers.
ASSESSMENT_TEACHERS = """
                        a1   a1b  a2   b1
anonymous               401  401  401  401
inactive_teacher        401  401  401  401
inactive_pupil          401  401  401  401
platform_admin          OK   OK   OK   OK
region_admin_a          404  404  404  404
region_admin_b          404  404  404  404
school_admin_a1         404  404  404  404
school_admin_a2         404  404  404  404
school_admin_b1         404  404  404  404
author                  404  404  404  404
class_teacher           OK   404  404  404
teacher_a1b             404  OK   404  404
uninvolved_teacher_a1   404  404  404  404
teacher_a2              404  404  OK   404
teacher_b1              404  404  404  OK
facilitator             404  404  404  404
student_a1              403  404  404  404
student_a1b             404  403  404  404
student_a2              404  404  403  404
student_b1              404  404  404  403
"""

# --- a pupil's attempt (the target: the attempt in progress of that class's pupil) ------------
# Reading, saving an answer and submitting: the attempt's pupil only. The routes look the
# attempt up among the requester's own, so anyone else gets 404 (its teachers read it through
# the marking route, below, once it is handed in).
OWN_ATTEMPT = """
                        a1   a1b  a2   b1
anonymous               401  401  401  401
inactive_teacher        401  401  401  401
inactive_pupil          401  401  401  401
platform_admin          404  404  404  404
region_admin_a          404  404  404  404
region_admin_b          404  404  404  404
school_admin_a1         404  404  404  404
school_admin_a2         404  404  404  404
school_admin_b1         404  404  404  404
author                  404  404  404  404
class_teacher           404  404  404  404
teacher_a1b             404  404  404  404
uninvolved_teacher_a1   404  404  404  404
teacher_a2              404  404  404  404
teacher_b1              404  404  404  404
facilitator             404  404  404  404
student_a1              OK   404  404  404
student_a1b             404  OK   404  404
student_a2              404  404  OK   404
student_b1              404  404  404  OK
"""
# Reading a handed-in attempt as its teacher marks it (the right answers, the rubric, the marks
# so far), and marking it: the class's teachers only; not its pupil (who reads their attempt
# through /attempts/<id>/, as the reveal policy allows). An attempt still in progress is not
# there to be marked: not found, for everyone.
MARKING = """
                        a1   a1b  a2   b1   a1-in-progress
anonymous               401  401  401  401  401
inactive_teacher        401  401  401  401  401
inactive_pupil          401  401  401  401  401
platform_admin          OK   OK   OK   OK   404
region_admin_a          404  404  404  404  404
region_admin_b          404  404  404  404  404
school_admin_a1         404  404  404  404  404
school_admin_a2         404  404  404  404  404
school_admin_b1         404  404  404  404  404
author                  404  404  404  404  404
class_teacher           OK   404  404  404  404
teacher_a1b             404  OK   404  404  404
uninvolved_teacher_a1   404  404  404  404  404
teacher_a2              404  404  OK   404  404
teacher_b1              404  404  404  OK   404
facilitator             404  404  404  404  404
student_a1              404  404  404  404  404
student_a1b             404  404  404  404  404
student_a2              404  404  404  404  404
student_b1              404  404  404  404  404
"""
# A file handed in with an assignment: the pupil who handed it in and the class's teachers.
SUBMISSION_FILE = """
                        a1   a1b  a2   b1
anonymous               401  401  401  401
inactive_teacher        401  401  401  401
inactive_pupil          401  401  401  401
platform_admin          OK   OK   OK   OK
region_admin_a          404  404  404  404
region_admin_b          404  404  404  404
school_admin_a1         404  404  404  404
school_admin_a2         404  404  404  404
school_admin_b1         404  404  404  404
author                  404  404  404  404
class_teacher           OK   404  404  404
teacher_a1b             404  OK   404  404
uninvolved_teacher_a1   404  404  404  404
teacher_a2              404  404  OK   404
teacher_b1              404  404  404  OK
facilitator             404  404  404  404
student_a1              OK   404  404  404
student_a1b             404  OK   404  404
student_a2              404  404  OK   404
student_b1              404  404  404  OK
"""
# Handing in an assignment (the targets: each class's published assignment, and the quiz of
# the class of A1, which is attempted, not handed in): the class's pupils; its teachers see
# the assignment and are refused.
HAND_IN = """
                        a1   a1b  a2   b1   a1-quiz
anonymous               401  401  401  401  401
inactive_teacher        401  401  401  401  401
inactive_pupil          401  401  401  401  401
platform_admin          403  403  403  403  403
region_admin_a          404  404  404  404  404
region_admin_b          404  404  404  404  404
school_admin_a1         404  404  404  404  404
school_admin_a2         404  404  404  404  404
school_admin_b1         404  404  404  404  404
author                  404  404  404  404  404
class_teacher           403  404  404  404  403
teacher_a1b             404  403  404  404  404
uninvolved_teacher_a1   404  404  404  404  404
teacher_a2              404  404  403  404  404
teacher_b1              404  404  404  403  404
facilitator             404  404  404  404  404
student_a1              OK   404  404  404  400
student_a1b             404  OK   404  404  404
student_a2              404  404  OK   404  404
student_b1              404  404  404  OK   404
"""
# The marking queue across the classes one teaches: everyone signed in gets their own queue
# (empty unless they teach); what it holds is tested apart.
MARKING_QUEUE = """
                        -
anonymous               401
inactive_teacher        401
inactive_pupil          401
platform_admin          OK
region_admin_a          OK
region_admin_b          OK
school_admin_a1         OK
school_admin_a2         OK
school_admin_b1         OK
author                  OK
class_teacher           OK
teacher_a1b             OK
uninvolved_teacher_a1   OK
teacher_a2              OK
teacher_b1              OK
facilitator             OK
student_a1              OK
student_a1b             OK
student_a2              OK
student_b1              OK
"""


# --- what a class's list of quizzes shows -----------------------------------------------------
# ``quiz`` (published, taken), ``open`` (published, an attempt in progress), ``assignment``
# (published, handed in), ``draft`` (the class of A1 only). Teachers of the class see all; its
# pupils the published ones; anyone else who sees the class, none.
PUBLISHED_TITLES = {"quiz", "open", "assignment"}


def listed_assessments(role: str, target: str) -> set[str]:
    if role in {"platform_admin", TEACHER_OF[target]}:
        return PUBLISHED_TITLES | ({"draft"} if target == "a1" else set())
    if role == PUPIL_OF[target]:
        return PUBLISHED_TITLES
    return set()


# The classes whose handed-in work each role's marking queue holds.
QUEUED_CLASSES = {
    role: {c for c, teacher in TEACHER_OF.items() if teacher == role} for role in ROLES
}
