from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("report/", views.monthly_report, name="report"),
    path("export/<slug:table>.<str:fmt>", views.export, name="export"),
]
