"""Repositories for what the async web app reads and writes with psycopg (one module per
aggregate: the outbox, webhooks, app users). The booking core's SQL is in `chatbot.repository`.
"""
