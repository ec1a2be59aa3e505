# One image for every Mektep process: web (ASGI), worker and beat. See docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt

COPY . .
# Collect (and precompress) static files at build time; the settings need no secrets for it.
RUN LMS_ENV=dev DEBUG=false STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app mektep \
    && mkdir -p /app/media && chown mektep /app/media

ENV STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media \
    LMS_ENV=prod \
    WEB_HOST=0.0.0.0 \
    PORT=8000
USER mektep
EXPOSE 8000
CMD ["honcho", "start", "--no-prefix", "web"]
