"""Demo data, seeded on first run by `python -m chatbot.cli seed` (never by migrations)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

CLINIC = {
    "name": "Bright Smile Dental",
    "timezone": "Europe/Berlin",
    "address": "Friedrichstraße 123, 10117 Berlin",
    "phone": "+49 30 1234 5678",
    "email": "hello@brightsmile.example",
    "opening_hours": '{"mon-fri": "08:00-18:00", "sat": "closed", "sun": "closed"}',
    "info": (
        '{"insurance": "We accept all statutory (gesetzliche) and most private insurers; '
        'bring your insurance card.", "parking": "Parking garage next door, first hour free.", '
        '"payment": "Card, cash or invoice.", '
        '"emergency": "For severe bleeding, facial swelling or trouble breathing call 112."}'
    ),
}

TREATMENTS = [
    # code, name, duration, buffer, price (cents), synonyms
    ("checkup", "Check-up", 30, 10, 6000, ["check up", "check-up", "exam", "examination"]),
    ("cleaning", "Professional cleaning", 45, 15, 9000, ["hygiene", "scale and polish"]),
    ("filling", "Filling", 60, 15, 12000, ["cavity", "fill"]),
    ("root_canal", "Root canal treatment", 90, 15, 45000, ["root canal", "endo"]),
    ("extraction", "Tooth extraction", 45, 15, 15000, ["pull a tooth", "remove a tooth"]),
    ("whitening", "Teeth whitening", 60, 15, 25000, ["bleaching", "whiten"]),
    ("emergency", "Emergency visit", 30, 0, 8000, ["urgent", "toothache", "pain"]),
    ("consultation", "Consultation", 30, 0, 5000, ["consult", "advice"]),
]

DENTISTS = [
    # name, specialties (empty = all), phone, email, bio, weekly hours (isodow, start, end)
    (
        "Anna Lee",
        [],
        "+49 30 1234 5601",
        "lee@brightsmile.example",
        "General dentist; check-ups, fillings and family care.",
        [(d, "09:00", "17:00") for d in range(1, 6)],
    ),
    (
        "Marco Rossi",
        ["checkup", "filling", "root_canal", "extraction", "emergency", "consultation"],
        "+49 30 1234 5602",
        "rossi@brightsmile.example",
        "Endodontics and oral surgery: root canals and extractions.",
        [(d, "08:00", "16:00") for d in range(1, 6)],
    ),
    (
        "Priya Shah",
        ["checkup", "cleaning", "whitening", "consultation", "emergency"],
        "+49 30 1234 5603",
        "shah@brightsmile.example",
        "Hygiene, cosmetic dentistry and children's dentistry.",
        [(d, "10:00", "18:00") for d in range(1, 6)],
    ),
]

PATIENTS = [
    ("Alice Novak", "+49 151 000 0001", "alice@example.com"),
    ("Ben Okafor", "+49 151 000 0002", "ben@example.com"),
]


def seed_demo(conn: Connection, today: dt.date) -> bool:
    """Insert demo data if the clinic is empty. Returns True when it seeded."""
    if conn.execute(text("SELECT 1 FROM clinic")).first():
        return False
    conn.execute(
        text(
            "INSERT INTO clinic (name, timezone, address, phone, email, opening_hours, info)"
            " VALUES (:name, :timezone, :address, :phone, :email,"
            " CAST(:opening_hours AS jsonb), CAST(:info AS jsonb))"
        ),
        CLINIC,
    )
    for code, name, dur, buf, price, syn in TREATMENTS:
        conn.execute(
            text(
                "INSERT INTO treatment (code, name, duration_min, buffer_min, price_cents,"
                " synonyms) VALUES (:c, :n, :d, :b, :p, :s)"
            ),
            {"c": code, "n": name, "d": dur, "b": buf, "p": price, "s": syn},
        )
    for name, specs, phone, email, bio, hours in DENTISTS:
        dentist_id = conn.execute(
            text(
                "INSERT INTO dentist (name, specialties, phone, email, bio)"
                " VALUES (:n, :s, :p, :e, :b) RETURNING id"
            ),
            {"n": name, "s": specs, "p": phone, "e": email, "b": bio},
        ).scalar_one()
        for isodow, start, end in hours:
            conn.execute(
                text(
                    "INSERT INTO availability_rule (dentist_id, isodow, start_time, end_time,"
                    " valid_from) VALUES (:d, :w, :s, :e, :f)"
                ),
                {"d": dentist_id, "w": isodow, "s": start, "e": end, "f": today},
            )
        conn.execute(
            text(
                "INSERT INTO app_user (sub, role, display_name, dentist_id)"
                " VALUES (:sub, 'dentist', :n, :d)"
            ),
            {"sub": f"dentist-{dentist_id}", "n": f"Dr {name}", "d": dentist_id},
        )
    for name, phone, email in PATIENTS:
        patient_id = conn.execute(
            text("INSERT INTO patient (name, phone, email) VALUES (:n, :p, :e) RETURNING id"),
            {"n": name, "p": phone, "e": email},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO app_user (sub, role, display_name, patient_id)"
                " VALUES (:sub, 'patient', :n, :p)"
            ),
            {"sub": f"patient-{patient_id}", "n": name, "p": patient_id},
        )
    conn.execute(
        text(
            "INSERT INTO app_user (sub, role, display_name) VALUES"
            " ('admin', 'admin', 'Clinic admin'), ('chatbot', 'chatbot', 'Chatbot')"
        )
    )
    return True
