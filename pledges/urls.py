"""Pages of the village compact: the villager's under /pledges/, staff under /pledges/staff/."""

from django.urls import path

from . import views

app_name = "pledges"
urlpatterns = [
    # Villager (phone first)
    path("", views.my_compact, name="my_compact"),
    path("sign/", views.sign, name="sign"),
    path("me/responsibility/", views.my_responsibility, name="my_responsibility"),
    path(
        "me/responsibility.geojson",
        views.my_responsibility_geojson,
        name="my_responsibility_geojson",
    ),
    path("households/<int:pk>/card/", views.pledge_card, name="pledge_card"),
    # Staff, grid managers, leaders (read-only)
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/compacts/", views.compact_list, name="compact_list"),
    path("staff/compacts/new/", views.compact_create, name="compact_create"),
    path(
        "staff/compacts/<int:pk>/new-version/",
        views.compact_new_version,
        name="compact_new_version",
    ),
    path("staff/versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("staff/versions/<int:pk>/publish/", views.version_publish, name="version_publish"),
    path("staff/paper/", views.paper_signing, name="paper_signing"),
    path("staff/renewals/", views.renewal_visits, name="renewal_visits"),
    path("staff/visits/new/", views.visit_new, name="visit_new"),
    path("staff/pledges/<int:pk>/withdraw/", views.pledge_withdraw, name="pledge_withdraw"),
    path("staff/assign/", views.assign_map, name="assign_map"),
    path("staff/assignments/<int:pk>/end/", views.assignment_end, name="assignment_end"),
    path("staff/front-doors/derive/", views.derive_front_doors, name="derive_front_doors"),
    path(
        "staff/front-doors/<int:pk>/",
        views.front_door_action,
        name="front_door_action",
    ),
    path(
        "staff/tasks/<str:task_id>/village/<int:village>/",
        views.task_progress,
        name="task_progress",
    ),
    path("staff/coverage/", views.coverage_map, name="coverage_map"),
    path("staff/coverage/tables/", views.coverage_tables, name="coverage_tables"),
    path("staff/import/", views.import_csv, name="import_csv"),
    path("staff/import/template.csv", views.import_template, name="import_template"),
]
