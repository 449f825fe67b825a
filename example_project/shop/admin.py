from django.contrib import admin

from .models import Customer, Export

admin.site.register(Customer, list_display=["email", "name", "created_at"])
admin.site.register(Export, list_display=["pk", "status", "rows", "created_at", "finished_at"])
