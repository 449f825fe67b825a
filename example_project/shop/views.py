"""Signup (emails the new customer) and CSV export (a long job)."""

from django import forms
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

import scalejobs

from .models import Customer, Export
from .tasks import export_customers, welcome


class SignupForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "email"]


def home(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            customer = form.save()
            # Sent when the transaction commits, so the worker finds the row.
            welcome.perform_later(customer.pk)
        return redirect("home")
    context = {"form": form, "customers": Customer.objects.order_by("-pk")[:20], "exports": Export.objects.order_by("-pk")[:10]}
    return render(request, "shop/home.html", context)


@require_POST
def start_export(request):
    with transaction.atomic():
        export = Export.objects.create()
        export_customers.perform_later(export.pk)
    return redirect("home")


@require_POST
def contact(request):
    scalejobs.send_mail_later("Contact form", request.POST.get("message", ""), None, ["support@example.com"])
    return redirect("home")
