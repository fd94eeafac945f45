from __future__ import annotations

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("findings/", views.finding_list, name="findings"),
    path("findings.csv", views.findings_csv, name="findings_csv"),
    path("scores.csv", views.scores_csv, name="scores_csv"),
    path("run/", views.run_now, name="run"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("findings/<int:pk>/accept/", views.finding_accept, name="accept"),
    path("findings/<int:pk>/coach/", views.finding_coach, name="coach"),
    path("findings/<int:pk>/playbook/", views.finding_playbook, name="playbook"),
    path("notes/<int:pk>/read/", views.note_read, name="note_read"),
    path("qa/", views.qa_list, name="qa"),
    path("qa/<int:pk>/", views.qa_batch, name="qa_batch"),
    path("qa/<int:pk>/score/<int:message_id>/", views.qa_score, name="qa_score"),
    path("my-reviews/", views.my_reviews, name="my_reviews"),
    path("my-notes/", views.my_notes, name="my_notes"),
]
