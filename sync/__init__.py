"""The web app: WebSocket hub, webhooks, REST, chat gateway and pages, over `chatbot`'s
outbox listener and slot cache.

`python -m sync` serves it (see `sync.app.create_app`).
"""
