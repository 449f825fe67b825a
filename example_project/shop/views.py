"""Signup (emails the new customer), CSV export (a long, unique job) and the tour's buttons."""

import secrets

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

import scalejobs

from .models import Customer, Export
from .tasks import export_customers, welcome

# The demo's export runs about a minute whatever the number of customers, so the tour can watch it.
EXPORT_SECONDS = 60.0


class SignupForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "email"]


def _visitor(request: HttpRequest) -> str:
    """Name the visitor for unique exports: a token kept in their session."""
    return request.session.setdefault("visitor", secrets.token_hex(8))


def home(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            customer = form.save()
            # Sent when the transaction commits, so the worker finds the row.
            welcome.perform_later(customer.pk)
            if _tour():
                from .tour import sync_to_partner

                sync_to_partner.perform_later(customer.pk)
        messages.success(request, f"Signed up {customer.email}: a worker sends the welcome email.")
        return redirect("home")
    context = {
        "form": form,
        "customers": Customer.objects.order_by("-pk")[:20],
        "exports": Export.objects.order_by("-pk")[:10],
        "tour": _tour(),
    }
    return render(request, "shop/home.html", context)


@require_POST
def start_export(request: HttpRequest) -> HttpResponse:
    who = _visitor(request)
    export = Export.objects.create(requested_by=who)
    if export_customers.perform_later(export.pk, requested_by=who, seconds=EXPORT_SECONDS) is None:
        # A unique job of this visitor is queued or running: the click made no second job.
        export.delete()
        messages.info(request, "Your export is already running: one at a time (a unique job).")
    else:
        messages.success(request, f"Export #{export.pk} started: it takes about a minute; watch it under Running jobs.")
    return redirect("home")


def download_export(request: HttpRequest, pk: int) -> HttpResponse:
    export = get_object_or_404(Export, pk=pk, status=Export.Status.DONE)
    response = HttpResponse(export.content, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="customers-{export.pk}.csv"'
    return response


@require_POST
def contact(request: HttpRequest) -> HttpResponse:
    scalejobs.send_mail_later("Contact form", request.POST.get("message", ""), None, ["support@example.com"])
    messages.success(request, "Message queued: a worker sends it through the email backend.")
    return redirect("home")


@require_POST
def import_customers(request: HttpRequest) -> HttpResponse:
    from .tour import start_import

    batch_id = start_import()
    messages.success(request, f"Import started: 40 row jobs in batch {batch_id}; watch it under Batches.")
    return redirect("home")


@require_POST
def failing_order(request: HttpRequest) -> HttpResponse:
    from .tour import charge_card

    charge_card.perform_later(f"order-{secrets.token_hex(3)}")
    messages.warning(request, "Order placed with a card that is always declined: after two retries it lands in Dead letters.")
    return redirect("home")


def _tour() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "SHOP_TOUR", False))
