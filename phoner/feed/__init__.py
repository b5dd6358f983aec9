"""The calendar feed server (ASGI)."""
