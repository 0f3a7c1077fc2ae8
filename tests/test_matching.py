"""Treatments and dentists from the words patients use (pure: chatbot.domain.matching)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatbot.domain.matching import find_dentists, find_treatment, stem
from chatbot.domain.models import Dentist, Treatment
from chatbot.seed import DENTISTS, TREATMENTS

CATALOGUE = [
    Treatment(code=c, name=n, duration_min=d, buffer_min=b, synonyms=s)
    for c, n, d, b, _price, s in TREATMENTS
]
STAFF = [
    Dentist(id=i, name=name, specialties=specs, phone=phone, email=email, bio=bio)
    for i, (name, specs, phone, email, bio, _hours) in enumerate(DENTISTS, start=1)
]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("I need my teeth cleaned", "cleaning"),
        ("can the hygienist see me", "cleaning"),
        ("scale and polish please", "cleaning"),
        ("a filling", "filling"),
        ("my filling fell out", "filling"),
        ("I think I have cavities", "filling"),
        ("Root-Canal!", "root_canal"),
        ("a tooth pulled", "extraction"),
        ("wisdom teeth out", "extraction"),
        ("whitened teeth", "whitening"),
        ("bleaching", "whitening"),
        ("chekup", "checkup"),
        ("cleening", "cleaning"),
        ("toothache", "emergency"),
        ("my teeth hurt", "emergency"),
        ("my tooth has been aching for days", "emergency"),
        ("it doesn't hurt, I just want a check up", "checkup"),
        ("not in pain, it's for a clean", "cleaning"),
        ("a sore gum, not urgent I think, could someone check it", "checkup"),
        ("just some advice", "consultation"),
    ],
)
def test_lay_words_inflections_and_typos_name_the_treatment(text: str, code: str) -> None:
    found = find_treatment(CATALOGUE, text)
    assert found is not None and found.code == code


@pytest.mark.parametrize(
    "text", ["teeth", "my teeth", "what treatments do you offer", "hi", "I'm not in any pain"]
)
def test_generic_words_name_no_treatment(text: str) -> None:
    assert find_treatment(CATALOGUE, text) is None


@given(st.sampled_from(CATALOGUE), st.sampled_from(["", "a ", "I'd like a ", "book me a "]))
def test_every_catalogue_name_and_synonym_finds_itself(treatment: Treatment, prefix: str) -> None:
    for key in [treatment.code, treatment.name, *treatment.synonyms]:
        assert find_treatment(CATALOGUE, prefix + key) == treatment, key


@given(st.sampled_from(["clean", "fill", "whiten", "extract", "bleach"]))
def test_inflections_share_a_stem(word: str) -> None:
    forms = {word, word + "s", word + "ed", word + "ing", word + "ings"}
    assert {stem(f) for f in forms} == {word}


@pytest.mark.parametrize(
    ("name", "ids"),
    [("Dr. Lee", [1]), ("anna", [1]), ("rosi", [2]), ("dr priya shah", [3]), ("dr", [])],
)
def test_dentists_by_name_title_prefix_or_typo(name: str, ids: list[int]) -> None:
    assert [d.id for d in find_dentists(STAFF, name)] == ids
