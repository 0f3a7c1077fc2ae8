"""Rasa SDK actions for the dental assistant, grouped by feature.

Thin adapters: read the tracker, call a `chatbot.services` use case, say the result. Who is
talking comes only from the verified JWT in the channel metadata (`context.principal`).
`python -m rasa_sdk --actions actions` imports every module listed here.
"""

from actions import appointments, booking, dentist, forms, info, my_bookings, waitlist

__all__ = ["appointments", "booking", "dentist", "forms", "info", "my_bookings", "waitlist"]
