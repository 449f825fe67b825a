from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("export/", views.start_export, name="start-export"),
    path("exports/<int:pk>.csv", views.download_export, name="download-export"),
    path("contact/", views.contact, name="contact"),
    path("order/", views.failing_order, name="failing-order"),
    path("import/", views.import_customers, name="import-customers"),
]
