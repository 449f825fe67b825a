from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.AddField(model_name="customer", name="synced_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="export", name="requested_by", field=models.CharField(blank=True, max_length=64)),
        migrations.AddField(model_name="export", name="content", field=models.TextField(blank=True)),
    ]
