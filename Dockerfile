FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -e '.[aws]' gunicorn dj-database-url 'psycopg[binary]'
CMD ["python", "manage.py", "rundramatiq"]
