from django.urls import path

from courses.assessments.api import gradebook, marking, taking, views

urlpatterns = [
    path(
        "courses/<int:course_id>/questions/",
        views.CourseQuestionsApi.as_view(),
        name="course-questions",
    ),
    path(
        "courses/<int:course_id>/questions/import/",
        views.GiftImportApi.as_view(),
        name="course-questions-import",
    ),
    path(
        "courses/<int:course_id>/objectives/",
        views.CourseObjectivesApi.as_view(),
        name="course-objectives",
    ),
    path("questions/<int:question_id>/", views.QuestionDetailApi.as_view(), name="question"),
]

urlpatterns += [
    path(
        "classes/<int:cohort_id>/assessments/",
        taking.CohortAssessmentsApi.as_view(),
        name="class-assessments",
    ),
    path(
        "assessments/<int:assessment_id>/", taking.AssessmentDetailApi.as_view(), name="assessment"
    ),
    path(
        "assessments/<int:assessment_id>/publish/",
        taking.AssessmentPublishApi.as_view(),
        name="assessment-publish",
    ),
    path(
        "assessments/<int:assessment_id>/attempts/",
        taking.AttemptStartApi.as_view(),
        name="assessment-attempts",
    ),
    path(
        "assessments/<int:assessment_id>/grades/<int:student_id>/override/",
        taking.GradeOverrideApi.as_view(),
        name="grade-override",
    ),
    path(
        "assessments/<int:assessment_id>/grades/<int:student_id>/history/",
        taking.GradeHistoryApi.as_view(),
        name="grade-history",
    ),
    path("attempts/<int:attempt_id>/", taking.AttemptDetailApi.as_view(), name="attempt"),
    path(
        "attempts/<int:attempt_id>/answers/<int:question_id>/",
        taking.AnswerSaveApi.as_view(),
        name="attempt-answer",
    ),
    path(
        "attempts/<int:attempt_id>/submit/",
        taking.AttemptSubmitApi.as_view(),
        name="attempt-submit",
    ),
]

urlpatterns += [
    path("classes/<int:cohort_id>/gradebook/", gradebook.GradebookApi.as_view(), name="gradebook"),
    path(
        "classes/<int:cohort_id>/gradebook.csv",
        gradebook.GradebookCsvApi.as_view(),
        name="gradebook-csv",
    ),
    path(
        "classes/<int:cohort_id>/gradebook/import/",
        gradebook.GradesImportApi.as_view(),
        name="gradebook-import",
    ),
    path(
        "classes/<int:cohort_id>/grade-categories/",
        gradebook.GradeCategoriesApi.as_view(),
        name="grade-categories",
    ),
]

urlpatterns += [
    path(
        "assessments/<int:assessment_id>/grades/publish/",
        taking.GradesPublishApi.as_view(),
        name="grades-publish",
    ),
    path("classes/<int:cohort_id>/my-grades/", taking.MyGradesApi.as_view(), name="my-grades"),
]

urlpatterns += [
    path(
        "assessments/<int:assessment_id>/submissions/",
        marking.SubmissionsApi.as_view(),
        name="assessment-submissions",
    ),
    path("marking/", marking.MarkingQueueApi.as_view(), name="marking-queue"),
    path(
        "classes/<int:cohort_id>/marking/",
        marking.CohortMarkingQueueApi.as_view(),
        name="class-marking-queue",
    ),
    path(
        "attempts/<int:attempt_id>/marking/",
        marking.AttemptMarkingApi.as_view(),
        name="attempt-marking",
    ),
    path(
        "assessments/<int:assessment_id>/grades/<int:student_id>/lift-override/",
        marking.GradeOverrideLiftApi.as_view(),
        name="grade-override-lift",
    ),
    path(
        "submission-files/<int:file_id>/download/",
        marking.SubmissionFileDownloadApi.as_view(),
        name="submission-file-download",
    ),
]
