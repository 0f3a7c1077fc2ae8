"""Real-time sync and the web app: outbox listener, slot cache, WebSocket hub, webhooks, REST.

`python -m sync` serves it (see `sync.app.create_app`).
"""
