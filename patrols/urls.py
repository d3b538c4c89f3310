from django.urls import path

from . import views

app_name = "patrols"
urlpatterns = [
    path("report/", views.report_new, name="report_new"),
    path("mine/", views.my_reports, name="my_reports"),
    path("mine/<int:pk>/", views.report_detail, name="report_detail"),
    path("workspace/", views.workspace, name="workspace"),
    path("sw.js", views.service_worker, name="service_worker"),
]
