from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("export/", views.start_export, name="start-export"),
    path("contact/", views.contact, name="contact"),
]
