"""Use cases of the booking core. Each public function takes a SQLAlchemy `Engine`, runs in
one transaction (`repositories.unit.transaction`), returns plain data and raises only
`chatbot.errors.BookingError` subclasses with user-safe messages.

- `catalog`: clinic, dentists, treatments (fuzzy lookups for the bot).
- `availability`: free slots, weekly hours, time off / extra hours.
- `booking`: holds, bookings, reschedule, cancel, status changes, hand-offs.
- `schedule`: a dentist's day/week view.
"""
