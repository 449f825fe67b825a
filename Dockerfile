# The image runs what the default `make test` run tested: Python 3.11 and the versions pinned
# in deploy/constraints.txt (tests/django/test_deploy.py keeps the two equal).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EXPORT_DIR=/tmp/exports \
    DJANGO_SETTINGS_MODULE=example_project.settings
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -c deploy/constraints.txt '.[aws,example]' \
    && python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --system --no-create-home app
USER app
CMD ["python", "manage.py", "rundramatiq"]
