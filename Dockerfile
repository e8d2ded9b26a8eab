# The bot as an image; docker-compose.yml runs it in webhook mode with Redis.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY provider ./provider
COPY bot ./bot
RUN pip install --no-cache-dir . && useradd --system --no-create-home bot
USER bot
ENV PYTHONUNBUFFERED=1
CMD ["python", "-m", "bot"]
