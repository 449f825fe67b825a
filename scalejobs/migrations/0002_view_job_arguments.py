from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("scalejobs", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="jobs",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("view_jobs", "Can view scalejobs pages"),
                    ("manage_jobs", "Can act on jobs from the scalejobs pages"),
                    ("view_job_arguments", "Can view job arguments on the scalejobs pages"),
                ],
                "verbose_name": "jobs",
                "verbose_name_plural": "jobs",
            },
        ),
    ]
