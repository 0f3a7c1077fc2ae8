"""Phrase banks of the simulated patient (tests/e2e/simulator.py), written without looking at
the training data: typos, lowercase, polite/indirect, British and American forms.
`{t}` treatment, `{d}` dentist, `{w}` when, `{day}` a weekday. A test checks that no filled-in
phrasing is an exact or near duplicate of a training example."""

from __future__ import annotations

# code → (dentist ids offering it, patient wordings). Consultation/emergency are left out:
# the emergency flow answers with advice first, consultations with nothing to check.
TREATMENTS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "checkup": ((1, 2, 3), ("a check-up", "a routine checkup", "my 6 month check", "a chekup")),
    "cleaning": ((1, 3), ("a cleaning", "a scale & polish", "my teeth cleaned", "a hygiene visit")),
    "filling": ((1, 2), ("a filling", "a cavity filled", "a fillng", "a tooth filled")),
    "whitening": ((1, 3), ("teeth whitening", "my teeth whitened", "some whitening")),
    "root_canal": ((1, 2), ("a root canal", "root canal treatment", "a root-canal")),
    "extraction": ((1, 2), ("an extraction", "a tooth taken out", "a tooth pulled")),
}
DENTISTS: dict[int, tuple[str, ...]] = {
    1: ("Dr Lee", "dr. lee", "Anna Lee", "doctor lee", "dr anna lee"),
    2: ("Dr Rossi", "dr rosi", "Marco Rossi", "doctor Rossi", "dr. marco rossi"),
    3: ("Dr Shah", "dr shah", "Priya Shah", "doctor shah", "dr. priya shah"),
}
ANYONE = ("anyone really", "whoever has a gap", "any of the dentists will do", "no preference tbh")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
DAY_FORMS = ("next {Day}", "on {day}", "{Day}", "this coming {day}", "{day} next week")
# date forms: British and American
DATE_FORMS = ("on the {nth}", "{nth} of {Month}", "{Month} {nth}", "{Mon} {n}")
DAYPARTS: dict[str, tuple[tuple[int, int], tuple[str, ...]]] = {
    "morning": ((0, 12), ("in the morning", "morning", "before lunch", "sometime in the am")),
    "afternoon": ((12, 24), ("in the afternoon", "after lunch", "afternoon", "in the arvo")),
    "late": ((14, 24), ("after 2pm", "after 2 in the afternoon", "from 2 pm onwards")),
    "": ((0, 24), ("",)),
}

BOOK_FULL = (
    "could i get {t} with {d} {w}?",
    "Hi there, I'm looking to book {t} with {d} {w} if at all possible",
    "Id like {t} {w} with {d} pls",
    "is there any chance I could come in for {t} {w}? {d} ideally",
    "book me in for {t} with {d}, {w}",
    "for {t} with {d}, {w} would suit me",
    "Good morning! Can I make an appointment for {t} with {d} {w}?",
    "need {t} {w}, {d} if they have room",
)
BOOK_PARTIAL = (
    "i'd like to arrange {t} please",
    "Hello, could you fit me in for {t} at some point?",
    "I think I need {t}, can I book that",
    "want to book in for {t}",
)
BOOK_BARE = (
    "i want to make an appointment",
    "Can I schedule a visit with you please?",
    "hello, id like to see a dentist soon",
    "I'd like to sort out an appointment",
    "can u book me in",
)
ANSWER_T = ("{x} this time round", "it's for {x}", "{x} is what I need", "oh just {x}")
ANSWER_D = ("{x} would be my pick", "I'll go with {x}", "I'd like {x} if possible", "{x} ideally")
ANSWER_W = ("{x} suits me", "{x} if you can", "how about {x} then?", "could you fit me in {x}")
CORRECT_DAY = (
    "actually, make it {day} instead",
    "hmm no, {day} would be better for me",
    "sorry, can we do {day} instead?",
    "change that to {day} pls",
)
CORRECT_DENTIST = (
    "actually I'd rather see {d}",
    "can it be with {d} instead?",
    "oh wait, {d} instead please",
)
YES = (
    "yep, go ahead",
    "yes, that is absolutely perfect",
    "sounds good to me, lock it in",
    "yeah that works for me",
    "perfect, confirm it please",
    "Yes - lovely",
)
GOODBYE = ("ok, bye for today", "that's all, cheers, bye", "gotta go, bye!", "see ya later")
HELLO_AGAIN = ("hello there again", "hiya, me again", "Hi, it's me again")
CLOSING = ("brilliant, thank you so much", "thanks a lot, that's everything", "great ta")

CANCEL = (
    "I need to cancel my appointment",
    "can't make it to my appointment anymore, please cancel it",
    "cancel my booking pls, something came up",
    "I want to call off my visit",
    "please cancle the appointment i have",
    "Hi, I'm afraid I have to cancel my appointment",
)
RESCHEDULE = (
    "I need to move my appointment, {w} would suit me better",
    "can I reschedule my appointment? {w} would be ideal",
    "could we push my appointment back, maybe {w}",
    "I'd like to change the time of my booking - {w} please",
    "Hello, is it possible to rearrange my appointment? {w} works for me",
)
LIST = (
    "what appointments have I got coming up?",
    "when is my next appointmnet again",
    "can you show me my bookings",
    "do i have anything booked with you?",
    "Could you remind me when I'm coming in next?",
)
FAQ: dict[str, tuple[str, tuple[str, ...]]] = {
    "hours": ("Opening hours", ("what time do you close on weekdays?", "are u open saturdays")),
    "address": ("Friedrichstraße", ("where exactly are you located?", "whats your address")),
    "parking": ("Parking garage", ("anywhere to park close by?", "can I park my car near you")),
    "payment": ("Card, cash", ("do you take card payments?", "how can I pay for treatment")),
    "prices": ("€", ("how much does a filling cost", "what are your prices like?")),
    "contact": ("+49 30 1234 5678", ("number to call you on?", "how can I ring the clinic")),
}
OUT_OF_SCOPE = (
    ("only help with appointments", "what's the score in the football tonight"),
    ("only help with appointments", "can you order me a taxi home"),
)
THANKS = (("You're welcome", "thanks, that's helpful so far"),)
DENTIST_CMDS = (
    "block {day} 2-5pm for me",
    "please block off my {day} afternoon 1-4",
    "can you block next {day} 9-12 for me",
    "I'm not available {day} from 1 to 4pm, block it",
)
# what each command blocks: local (start hour, end hour)
DENTIST_CMD_HOURS = ((14, 17), (13, 16), (9, 12), (13, 16))
# "Which time should I block?" answered: 24-hour clock, as many Europeans write
BLOCK_ANSWER = ("{day} {start}:00-{end}:00 please", "{Day}, from {start}:00 until {end}:00")
STALE_OPEN = ("i want to book {t}", "can I get an appointment for {t}")
