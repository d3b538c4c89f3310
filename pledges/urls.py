"""Pages of the village compact: the villager's under /pledges/, staff under /pledges/staff/."""

from django.urls import path

from . import views
from .compact import views as compact
from .responsibility import views as responsibility

app_name = "pledges"
urlpatterns = [
    # Villager (phone first)
    path("", compact.my_compact, name="my_compact"),
    path("sign/", compact.sign, name="sign"),
    path("me/responsibility/", responsibility.my_responsibility, name="my_responsibility"),
    path(
        "me/responsibility.geojson",
        responsibility.my_responsibility_geojson,
        name="my_responsibility_geojson",
    ),
    path("households/<int:pk>/card/", views.pledge_card, name="pledge_card"),
    # Staff, grid managers, leaders (read-only)
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/compacts/", compact.compact_list, name="compact_list"),
    path("staff/compacts/new/", compact.compact_create, name="compact_create"),
    path(
        "staff/compacts/<int:pk>/new-version/",
        compact.compact_new_version,
        name="compact_new_version",
    ),
    path("staff/versions/<int:pk>/", compact.version_detail, name="version_detail"),
    path("staff/versions/<int:pk>/publish/", compact.version_publish, name="version_publish"),
    path("staff/paper/", compact.paper_signing, name="paper_signing"),
    path("staff/renewals/", compact.renewal_visits, name="renewal_visits"),
    path("staff/visits/new/", compact.visit_new, name="visit_new"),
    path("staff/pledges/<int:pk>/withdraw/", compact.pledge_withdraw, name="pledge_withdraw"),
    path("staff/assign/", responsibility.assign_map, name="assign_map"),
    path("staff/assignments/<int:pk>/end/", responsibility.assignment_end, name="assignment_end"),
    path("staff/front-doors/derive/", responsibility.derive_front_doors, name="derive_front_doors"),
    path(
        "staff/front-doors/<int:pk>/",
        responsibility.front_door_action,
        name="front_door_action",
    ),
    path(
        "staff/tasks/<str:task_id>/village/<int:village>/",
        responsibility.task_progress,
        name="task_progress",
    ),
    path("staff/coverage/", responsibility.coverage_map, name="coverage_map"),
    path("staff/coverage/tables/", responsibility.coverage_tables, name="coverage_tables"),
    path("staff/import/", compact.import_csv, name="import_csv"),
    path("staff/import/template.csv", compact.import_template, name="import_template"),
]
