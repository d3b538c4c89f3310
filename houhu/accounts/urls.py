from django.contrib.auth import views as auth_views
from django.urls import path

from . import app_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChange.as_view(), name="password_change"),
    path("villagers/", views.villager_list, name="villagers"),
    path(
        "villagers/household/<int:household_pk>/create/",
        views.villager_create,
        name="villager_create",
    ),
    path("villagers/<int:user_pk>/reset/", views.villager_reset, name="villager_reset"),
    path("villagers/<int:user_pk>/issued/", views.villager_issued, name="villager_issued"),
    path("villagers/<int:user_pk>/unlock/", views.login_unlock, name="login_unlock"),
    # At the root: the service worker's scope is the path it is served from.
    path("sw.js", app_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", app_views.manifest, name="manifest"),
    path("", views.home, name="home"),
]
