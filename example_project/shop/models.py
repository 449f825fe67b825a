"""A customer list, the CSV exports made of it, and orders whose payment may fail."""

from django.db import models


class Customer(models.Model):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the throttled partner-API job once the partner knows this customer.
    synced_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.email


class Export(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.CharField(max_length=64, blank=True)
    rows = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=500, blank=True)
    # The CSV itself, so the web process can serve what a worker wrote on another machine.
    content = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Export #{self.pk} ({self.status})"
