"""The brief reader: pure text → targets, sections, amounts, descriptors and intents."""

from __future__ import annotations

import pytest

from mixchat.assistant.reading.reader import SectionRef, TargetRef, read_brief

TRACKS = [
    ("Lead_Vocal_Main", "vocal"),
    ("Bass_DI_Clean", "bass"),
    ("Drums_Full_Kit", "drums"),
    ("Guitar_Rhythm", "guitar"),
    ("Keys_Piano", "keys"),
]


def asks(brief: str) -> list[tuple[str, int]]:
    reading = read_brief(brief, tracks=TRACKS)
    return [(a.concept, a.direction) for c in reading.clauses for a in c.asks]


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        ("make it darker", [("brightness", -1)]),
        ("brighter please", [("brightness", 1)]),
        ("less bright", [("brightness", -1)]),
        ("not bright enough", [("brightness", 1)]),
        ("too harsh", [("harsh", -1)]),
        ("make it less harsh", [("harsh", -1)]),
        ("the mix is muddy", [("mud", -1)]),
        ("clean up the mud", [("mud", -1)]),
        ("not so boomy", [("boom", -1)]),
        ("more air", [("air", 1)]),
        ("it sounds thin", [("low_end", 1)]),
        ("it sounds dull", [("brightness", 1)]),
        ("warmer", [("warmth", 1)]),
        ("wider", [("width", 1)]),
        ("narrower", [("width", -1)]),
        ("more punch on the drums", [("punch", 1)]),
        ("punchier kick", [("punch", 1)]),
        ("glue it together", [("glue", 1)]),
        ("too much reverb", [("wet", -1)]),
        ("wetter vocal", [("wet", 1)]),
        ("the vocal is too loud", [("level", -1)]),
        ("the kick is too quiet", [("level", 1)]),
        ("bring the vocal up a bit", [("level", 1)]),
        ("turn the guitar down", [("level", -1)]),
        ("tuck the keys", [("level", -1)]),
        ("mute the keys", [("mute", 1)]),
        (
            "darker and wider, and bring the vocal up a bit",
            [("brightness", -1), ("width", 1), ("level", 1)],
        ),
        ("the vocal gets buried in the chorus", [("buried", -1)]),
        ("the sibilance on the vocal is awful", [("sibilance", -1)]),
        ("boxy guitar", [("box", -1)]),
        ("the vocal sits too far back in the verses", [("level", 1)]),
        ("the vocal is too far back", [("level", 1)]),
        ("push the vocal back", [("level", -1)]),
        ("bring the vocal back up", [("level", 1)]),
        ("tighten the low end", [("boom", -1)]),
        ("tighter bass", [("boom", -1)]),
        ("less compression on the vocal", [("compression", -1)]),
        ("the mix sounds squashed", [("compression", -1)]),
        ("compress the drums harder", [("compression", 1)]),
        ("pan the guitar to the centre", [("pan", 1)]),
        ("the reverb is too long", [("reverb_size", -1)]),
        ("make the reverb longer", [("reverb_size", 1)]),
        ("the delay tail is too long", [("delay_feedback", -1)]),
        ("more repeats on the delay", [("delay_feedback", 1)]),
        ("cut 3 dB at 400 Hz on the keys", [("eq_point", -1)]),
        ("cut the 250 hz by 4 db on the bass", [("eq_point", -1)]),
        ("high pass the guitar at 120 Hz", [("high_pass", 1)]),
        ("remove the high pass on the bass", [("high_pass", -1)]),
        ("turn off the reverb on the drums", [("send_off", -1)]),
        ("set the vocal fader to -3 dB", [("level_set", 1)]),
    ],
)
def test_descriptors_and_directions(brief: str, expected: list[tuple[str, int]]) -> None:
    assert asks(brief) == expected


@pytest.mark.parametrize(
    ("brief", "target"),
    [
        ("bring the vox up", TargetRef("role", "vocal")),
        ("the singer is buried", TargetRef("role", "vocal")),
        ("the 808 is too loud", TargetRef("role", "bass")),
        ("more punch on the drums", TargetRef("group", "drums")),
        ("everything but the vocal down 2 dB", TargetRef("all_but", "vocal")),
        ("the band is too loud", TargetRef("group", "band")),
        ("guitars are harsh", TargetRef("role", "guitar")),
        ("brighten Keys_Piano", TargetRef("track", "Keys_Piano")),
        ("the rhythm section needs more punch", TargetRef("group", "rhythm")),
    ],
)
def test_targets(brief: str, target: TargetRef) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    assert target in reading.clauses[0].targets


@pytest.mark.parametrize(
    ("brief", "section"),
    [
        ("push the second chorus 2 dB harder", SectionRef("chorus", 2)),
        ("vocal up in the chorus", SectionRef("chorus", None)),
        ("verses only: turn the bass down", SectionRef("verse", None)),
        ("louder in the last chorus", SectionRef("chorus", -1)),
        ("quieter in the intro", SectionRef("intro", None)),
        ("before the drop, make the drums louder", SectionRef("before_chorus", None)),
        ("the vocal gets buried when the chorus comes in", SectionRef("chorus", None)),
    ],
)
def test_sections(brief: str, section: SectionRef) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    assert section in reading.clauses[0].sections


def test_amount_words_climb_a_monotonic_ladder() -> None:
    """ "a touch" < "a bit" < unmarked < "more" < "way more" < "massively"."""
    briefs = (
        "a touch more vocal",
        "a bit more vocal",
        "vocal up",
        "more vocal",
        "way more vocal",
        "massively more vocal",
    )
    scales = [read_brief(b, tracks=TRACKS).clauses[0].amount.scale for b in briefs]
    assert scales == sorted(scales) and len(set(scales)) == len(scales), scales


@pytest.mark.parametrize(
    ("brief", "scale", "db"),
    [
        ("a touch brighter", 0.5, None),
        ("slightly darker", 0.5, None),
        ("a bit wider", 0.75, None),
        ("brighter", 1.25, None),
        ("quite a bit darker", 1.5, None),
        ("way more air", 2.25, None),
        ("vocal up 3 dB", 1.25, 3.0),
        ("raise the bass by 1.5 dB", 1.25, 1.5),
        ("drums up two dB", 1.25, 2.0),
    ],
)
def test_amounts(brief: str, scale: float, db: float | None) -> None:
    amount = read_brief(brief, tracks=TRACKS).clauses[0].amount
    assert amount.scale == pytest.approx(scale)
    assert amount.db == db


@pytest.mark.parametrize(
    ("brief", "intent", "versions"),
    [
        ("undo that", "undo", ()),
        ("undo", "undo", ()),
        ("revert that", "undo", ()),
        ("go back to version 3", "revert", (3,)),
        ("back to v3", "revert", (3,)),
        ("restore 3", "revert", (3,)),
        ("compare 2 and 4", "compare", (2, 4)),
        ("A/B 2 vs 4", "compare", (2, 4)),
        ("what did you change?", "explain", ()),
        ("what did you do", "explain", ()),
        ("what attack on an 1176 for a rock vocal?", "question", ()),
        ("how should I set the ratio on a vocal compressor?", "question", ()),
        ("a bit more", "repeat", ()),
        ("more", "repeat", ()),
        ("again", "repeat", ()),
        ("keep going", "repeat", ()),
        ("too much, go halfway back", "back_off", ()),
        ("back off a bit", "back_off", ()),
        ("purple monkey dishwasher", "clarify", ()),
    ],
)
def test_followups_and_intents(brief: str, intent: str, versions: tuple[int, ...]) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    assert reading.intent == intent
    assert reading.versions == versions


def test_repeat_scales() -> None:
    assert (
        read_brief("a bit more").scale < read_brief("more").scale < read_brief("a lot more").scale
    )


def test_mastering_targets() -> None:
    def lufs(brief: str) -> float | None:
        found = [a for c in read_brief(brief).clauses for a in c.asks if a.concept == "master"]
        return found[0].value if found else None

    assert lufs("master it for Spotify") == -14.0
    assert lufs("master for Apple Music") == -16.0
    assert lufs("make it loud for the club") == -9.0
    assert lufs("-14 LUFS") == -14.0
    assert lufs("master it to -11 LUFS") == -11.0


def test_pan() -> None:
    reading = read_brief("pan the guitar hard left", tracks=TRACKS)
    pans = [a.value for a in reading.clauses[0].asks if a.concept == "pan"]
    assert pans == [-1.0] and len(reading.clauses[0].asks) == 1
    reading = read_brief("pan the keys 30% right", tracks=TRACKS)
    assert [a.value for a in reading.clauses[0].asks] == [0.3]


def test_misspelling_is_read_as_the_nearest_word_and_said() -> None:
    reading = read_brief("make it more britey")
    assert reading.intent == "change"
    assert reading.approximations == (("britey", "bright"),)
    assert reading.clauses[0].asks[0].approximate


def test_unknown_word_gets_suggestions() -> None:
    reading = read_brief("make it more zorbly")
    assert reading.intent == "clarify" and reading.suggestions


def test_a_verb_and_its_lexicon_word_make_one_ask() -> None:
    reading = read_brief("compress the vocals a bit", tracks=[("vocals", "vocal")])
    asks = [a for clause in reading.clauses for a in clause.asks]
    assert [(a.concept, a.direction) for a in asks] == [("compression", 1)]


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        ("lift the top octave", [("air", 1)]),  # the verb carries the band: not a level move
        ("boost the low end on the bass", [("low_end", 1)]),
        ("lift the vocal", [("level", 1)]),
    ],
)
def test_a_level_verb_on_a_band_is_the_bands(brief: str, expected) -> None:
    assert asks(brief) == expected


@pytest.mark.parametrize(
    "brief",
    [
        "the bass and drums are mixing together",
        "bass and drums blur together",
        "the guitar and keys run into each other",
    ],
)
def test_two_parts_running_together_are_a_clash_not_glue(brief: str) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    [clause] = reading.clauses
    assert [(a.concept, a.direction) for a in clause.asks] == [("buried", -1)]
    assert len([t for t in clause.targets if t.kind != "mix"]) == 2


def test_glue_asked_for_stays_glue() -> None:
    assert asks("blend the guitar and keys together") == [("glue", 1)]


def test_a_value_said_apart_stays_with_its_ask() -> None:
    reading = read_brief("put a compressor on the vocal, 4:1", tracks=TRACKS)
    [clause] = reading.clauses
    assert "4:1" in clause.text and [a.concept for a in clause.asks] == ["compression"]


def test_them_after_a_clash_is_the_same_pair() -> None:
    reading = read_brief(
        "the bass and drums are mixing together and I can't separate them", tracks=TRACKS
    )
    [clause] = reading.clauses  # the second clause says the first again
    assert {t.value for t in clause.targets} == {"bass", "drums"}


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        # a quality said as how it is now is a complaint: the brief asks for the other way
        ("it's so dark", [("brightness", 1)]),
        ("the guitar sounds a bit bright", [("brightness", -1)]),
        ("the mix feels really narrow", [("width", 1)]),
        ("the vocal is kind of quiet", [("level", 1)]),
        # ... but not a wish, a comparative, a fault word that names its fix, or a mood
        ("make it sound dark", [("brightness", -1)]),
        ("I want it to feel wide", [("width", 1)]),
        ("the keys are getting darker", [("brightness", -1)]),
        ("the bass is uneven", [("compression", 1)]),
        # "has no X" lacks X
        ("the snare has no snap", [("punch", 1)]),
        ("there's no air", [("air", 1)]),
    ],
)
def test_a_state_is_a_complaint_and_a_wish_is_a_wish(brief: str, expected) -> None:
    assert asks(brief) == expected


@pytest.mark.parametrize(
    ("brief", "value"),
    [
        ("the cymbal is harsh", "overheads"),
        ("turn the overhead down", "overheads"),
        ("more kit", "drums"),
        ("the pianos are too loud", "keys"),
        ("the voices need air", "vocal"),
    ],
)
def test_a_part_is_read_in_either_number(brief: str, value: str) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    assert value in {t.value for c in reading.clauses for t in c.targets}


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        ("where has the guitar gone", [("buried", -1)]),
        ("the keys went missing", [("buried", -1)]),
        ("i can't find the bass", [("buried", -1)]),
        ("the guitar is screaming over the mix", [("level", -1)]),
        ("the bass and keys sit in the same range", [("buried", -1)]),
        ("guitar and keys are smearing each other", [("buried", -1)]),
        ("tame the guitar", [("level", -1)]),
        ("the mix is overcompressed", [("compression", -1)]),
        ("the guitar is over-bright", [("brightness", -1)]),
        ("roll off the top", [("brightness", -1)]),
        ("it sounds dull on top", [("brightness", 1)]),
        ("it sounds like it's under a blanket", [("brightness", 1)]),
        ("massively louder guitar", [("level", 1)]),
        # a masking verb in its base form: a part hiding everything is a part too loud
        ("the keys hide everything", [("level", -1)]),
        ("in the chorus the guitars are so loud they hide everything", [("level", -1)]),
        ("the keys dominate the mix", [("level", -1)]),
        ("the pads hide the vocal", [("buried", -1)]),
        # a tonal balance said to lean one way wants the other
        ("the spectral balance is skewed low", [("brightness", 1)]),
        ("the mix leans too much towards the highs", [("brightness", -1)]),
        ("tonal balance is tilted to the bright side", [("brightness", -1)]),
    ],
)
def test_perception_structure_and_verbs(brief: str, expected) -> None:
    assert asks(brief) == expected


def test_a_section_said_against_another_is_the_reference() -> None:
    reading = read_brief("the verse feels too loud next to the chorus", tracks=TRACKS)
    [clause] = reading.clauses
    assert [s.label for s in clause.sections] == ["verse"]
    assert [r.label for r in clause.reference if isinstance(r, SectionRef)] == ["chorus"]


@pytest.mark.parametrize(
    "brief",
    [
        "it falls apart on my phone, the keys just vanish",
        "in mono on a laptop the guitar disappears",
    ],
)
def test_what_vanishes_in_mono_is_the_mono_complaint(brief: str) -> None:
    assert asks(brief) == [("width", -1)]


@pytest.mark.parametrize("brief", ["banana phone", "sofa telephone"])
def test_a_guess_among_unknown_words_is_not_acted_on(brief: str) -> None:
    assert read_brief(brief, tracks=TRACKS).intent == "clarify"


def test_a_near_spelling_beside_a_plain_word_is_dropped() -> None:
    assert asks("the guitar sticks out like a sore thumb") == [("level", -1)]


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        # an amount said after the quality: "too much", "a bit much", "overcooked"
        ("the air on the master is a bit much", [("air", -1)]),
        ("the low end is way too hyped", [("low_end", -1)]),
        ("the reverb on the keys is too much", [("wet", -1)]),
        ("the low end is missing", [("low_end", 1)]),
        ("the lows are too little", [("low_end", 1)]),
        # two qualities joined by "and" share what is said of the first
        ("it's a bit boomy and dark", [("boom", -1), ("brightness", 1)]),
        ("the keys sound harsh and bright", [("harsh", -1), ("brightness", -1)]),
        # a region is where, not the problem, when more is asked
        ("more bite in the upper mids on the guitar", [("presence", 1)]),
        ("cut some low mids", [("mud", -1)]),
        ("the mix has a hole in the mids", [("mids", 1)]),
        # a simile said as how it is now
        ("it sounds like it was recorded in a cave", [("wet", -1)]),
        ("I want it to sound like a cathedral", [("wet", 1)]),
        # down verbs on a band
        ("ease off the highs on the guitar", [("brightness", -1)]),
        ("the vox is washed out", [("wet", -1)]),
    ],
)
def test_amounts_said_after_and_qualities_said_together(brief: str, expected) -> None:
    assert asks(brief) == expected


def test_where_it_plays_is_not_a_master_when_something_else_is_asked() -> None:
    assert asks("not enough sub for club playback") == [("sub", 1)]
    assert asks("get it ready for spotify") == [("master", 1)]


def test_it_after_a_named_part_is_the_part() -> None:
    reading = read_brief("can the guitar have more space around it", tracks=TRACKS)
    assert [t.kind for c in reading.clauses for t in c.targets] == ["role"]


def test_a_filter_without_a_frequency_is_still_a_filter() -> None:
    reading = read_brief("low cut the keys", tracks=TRACKS)
    [ask] = [a for c in reading.clauses for a in c.asks]
    assert (ask.concept, ask.word, ask.value) == ("high_pass", "filter", None)


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        ("the delay is drowning the vocal", [("echo", -1)]),
        ("the stereo image is too narrow", [("width", 1)]),
        ("keys are to bright", [("brightness", -1)]),
        ("to much delay", [("echo", -1)]),
        ("the keys have too much bass", [("low_end", -1)]),
        ("add a plate to the guitar", [("wet", 1)]),
        ("the pianno is too loud", [("level", -1)]),
    ],
)
def test_quantities_typos_and_slang(brief: str, expected) -> None:
    assert asks(brief) == expected


def test_bass_said_as_an_amount_beside_another_part_is_the_low_end() -> None:
    reading = read_brief("the keys have too much bass", tracks=TRACKS)
    assert {t.value for c in reading.clauses for t in c.targets} == {"keys"}
    assert {t.value for c in read_brief("more bass", tracks=TRACKS).clauses for t in c.targets} == {
        "bass"
    }


def test_a_near_spelling_among_unknown_words_is_still_read() -> None:
    assert asks("mak it darkr") == [("brightness", -1)]


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        # a level word said of a band or quantity is that band's level, not the mix's
        ("the highs are way too loud", [("brightness", -1)]),
        ("the sub is too quiet", [("sub", 1)]),
        ("the reverb is too loud", [("wet", -1)]),
        ("the low end is overpowering", [("low_end", -1)]),
        ("its too loud on the top", [("brightness", -1)]),
        ("the top is too hot", [("brightness", -1)]),
        # a level verb on "it" after a quality of the mix is that quality's direction
        ("the low end feels heavy, bring it down", [("low_end", -1)]),
        ("too dark, lift it", [("brightness", 1)]),
        ("way too bright, take it down a notch", [("brightness", -1)]),
        # ...but after a named part, "it" is the part
        ("the vocal is harsh, bring it down", [("harsh", -1), ("level", -1)]),
        # a level verb whose object is the whole mix
        ("turn the mix down", [("level", -1)]),
        ("turn everything up a bit", [("level", 1)]),
    ],
)
def test_level_words_go_to_what_they_are_said_of(brief: str, expected) -> None:
    assert asks(brief) == expected


def test_too_loud_for_a_part_names_a_reference_and_buried_under_names_the_masker() -> None:
    reading = read_brief("the band is too loud for the vocal", tracks=TRACKS)
    (clause,) = reading.clauses
    assert clause.targets == (TargetRef("group", "band"),)
    assert clause.reference == (TargetRef("role", "vocal"),)
    reading = read_brief("the vocal is buried under the guitars", tracks=TRACKS)
    (clause,) = reading.clauses
    assert {t.value for t in clause.targets} == {"vocal", "guitar"}


@pytest.mark.parametrize(
    ("brief", "target"),
    [
        ("tame the ride", TargetRef("role", "overheads")),
        ("the crash is too loud", TargetRef("role", "overheads")),
        ("bas is 2 loud", TargetRef("role", "bass")),
        ("the vocal harmonies are too loud", TargetRef("role", "backing_vocal")),
    ],
)
def test_kit_slang_and_typed_fast_part_names(brief: str, target: TargetRef) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    assert [t for c in reading.clauses for t in c.targets] == [target]


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        # "softer" with no part named is a gentler sound, not a quieter mix
        ("make it a bit softer and warmer", [("brightness", -1), ("warmth", 1)]),
        ("make the vocal softer", [("level", -1)]),
        # the verb said before the quality
        ("tone it down a bit, its harsh", [("harsh", -1)]),
        # a back-off verb that names what to take back is a brief, not a follow-up
        ("ease off the top", [("brightness", -1)]),
        ("back off the brightness", [("brightness", -1)]),
        ("dial back the compression", [("compression", -1)]),
        ("too shouty", [("harsh", -1)]),
    ],
)
def test_gentler_words_and_back_off_verbs_on_a_quality(brief: str, expected) -> None:
    assert read_brief(brief, tracks=TRACKS).intent == "change"
    assert asks(brief) == expected


@pytest.mark.parametrize("brief", ["tone it down", "too much, dial it back", "halfway back"])
def test_back_off_alone_is_still_a_follow_up(brief: str) -> None:
    assert read_brief(brief, tracks=TRACKS).intent == "back_off"


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        # a particle apart from its verb, a place that is not a direction
        ("roll some highs off the guitar", [("brightness", -1)]),
        ("could you knock a bit of the top end off the keys", [("brightness", -1)]),
        ("the bass lacks weight down low", [("low_end", 1)]),
        # "thin" as a verb is less low end; as a state, more
        ("thin out the keys a little", [("low_end", -1)]),
        ("thin the guitar out", [("low_end", -1)]),
        ("the guitar sounds thin", [("low_end", 1)]),
        # "too clean" asks for dirt; "not clean" for less mud
        ("the bass sounds too clean and polite", [("saturation", 1)]),
        ("the mix is not clean", [("mud", -1)]),
        ("the guitar needs some distortion", [("saturation", 1)]),
        ("less distortion on the vocal", [("saturation", -1)]),
        # a part cutting through is presence, not an EQ cut
        ("the bass needs some saturation so it cuts", [("saturation", 1), ("presence", 1)]),
        ("more edge on the guitar", [("presence", 1)]),
        ("the snare is too thuddy", [("low_end", -1)]),
        ("bass is way too clanky", [("growl", -1)]),
    ],
)
def test_verbs_particles_and_part_tone_words(brief: str, expected: list) -> None:
    assert asks(brief) == expected


@pytest.mark.parametrize(
    "brief",
    [
        "the bass disappears on my phone",
        "bass sounds weak on laptop speakers",
        "cant hear the kick on earbuds at all",
        "saturate the bass so it reads on phones",
    ],
)
def test_a_low_part_lost_on_small_speakers_is_its_upper_harmonics(brief: str) -> None:
    found = asks(brief)
    assert ("growl", 1) in found
    assert ("width", -1) not in found  # not a mono complaint: a phone plays no fundamental


@pytest.mark.parametrize(
    ("brief", "lifted"),
    [
        ("I can barely hear the bass on my laptop", True),
        ("the kick is gone on earbuds", True),
        ("the bass is weak on small speakers", False),
        ("saturate the bass so it reads on phones", False),
    ],
)
def test_a_low_part_heard_nowhere_on_small_speakers_also_comes_up(brief: str, lifted) -> None:
    found = asks(brief)
    assert ("growl", 1) in found and (("level", 1) in found) == lifted
    assert ("buried", -1) not in found  # the lift is said once


def test_a_phone_is_a_place_not_a_tinny_quality() -> None:
    assert asks("the guitars vanish on my phone") == [("width", -1)]
    assert ("harsh", -1) not in asks("the bass needs more harmonics so it translates on phones")


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        ("the vocal is too low", [("level", 1)]),
        ("the kick sits a bit low in the mix", [("level", 1)]),
        ("the vocal is way too high in the mix", [("level", -1)]),
        ("the bass is too low end heavy", [("low_end", -1)]),
        ("the vocal is drenched", [("wet", -1)]),
        ("it sounds like the snare was recorded in a bathroom", [("wet", -1)]),
        ("the reverb on the vocal is too dark", [("reverb_tone", 1)]),
        ("i want a darker verb", [("reverb_tone", -1)]),
        ("make the reverb tail a bit warmer", [("reverb_tone", -1)]),
    ],
)
def test_level_places_wet_states_and_the_reverbs_own_tone(brief: str, expected: list) -> None:
    assert asks(brief) == expected


def test_everything_but_a_part_after_the_verb() -> None:
    reading = read_brief("bring everything up except the vocal", tracks=TRACKS)
    assert [t.kind for t in reading.clauses[0].targets] == ["all_but"]
    assert asks("bring everything up except the vocal") == [("level", 1)]


def targets_of(brief: str) -> list[list[tuple[str, str]]]:
    reading = read_brief(brief, tracks=TRACKS)
    return [[(t.kind, t.value) for t in c.targets] for c in reading.clauses]


@pytest.mark.parametrize(
    ("brief", "expected_asks", "expected_targets"),
    [
        # the verb on "them" says the part's complaint again: one ask, on the part
        ("cymbals way too splashy, calm them down", [("sizzle", -1)], [[("role", "overheads")]]),
        ("the snare is too harsh, can you tame it", [("harsh", -1)], [[("role", "snare")]]),
        ("the hi hats are too loud, calm them down", [("level", -1)], [[("role", "hats")]]),
        # the part said alone, then the verb on "them": the part comes down
        ("those cymbals, tame them a bit", [("level", -1)], [[("role", "overheads")]]),
        ("the overheads, calm em down", [("level", -1)], [[("role", "overheads")]]),
        # no part said before: the mix's quality, not a quieter mix
        ("the mix is harsh, tame it", [("harsh", -1)], [[("mix", "")]]),
        ("the guitar is too loud, can you rein it in", [("level", -1)], [[("role", "guitar")]]),
    ],
)
def test_a_pronoun_after_a_part_is_that_part(brief, expected_asks, expected_targets) -> None:
    assert asks(brief) == expected_asks
    assert targets_of(brief) == expected_targets


def test_calm_it_down_with_nothing_named_is_not_a_fader_move() -> None:
    assert ("level", -1) not in asks("calm it down")


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        ("bring the vocal closer", [("mood", 1)]),
        ("I would like the voice more close to the listener", [("mood", 1)]),
        # the distance is the reverb's doing: drier, not louder
        ("the vocal sounds far away in a big room", [("wet", -1)]),
        ("the vocal is drenched, it sounds far away", [("wet", -1)]),
        ("the vocal sounds distant", [("level", 1)]),
        ("put the vocal in a big hall", [("wet", 1)]),
        ("I want the vocal to sound in a big hall", [("wet", 1)]),
    ],
)
def test_closer_and_a_place_said_as_a_state(brief: str, expected: list) -> None:
    assert asks(brief) == expected


def test_parts_said_to_be_fine_are_not_what_the_brief_moves() -> None:
    brief = "the kick and snare are fine, but the mix is dull, can you brighten it"
    assert asks(brief)[0] == ("brightness", 1)
    assert all(t == ("mix", "") for clause in targets_of(brief) for t in clause)


def test_tame_on_a_frequency_region_stays_an_eq_move() -> None:
    assert asks("tame the 2-4k region on the whole mix") == [("eq_point", -1)]
    # the range after the part's pronoun and a preposition: an EQ move there, not a fader
    reading = read_brief("the overheads are harsh, tame them around 3-5k", tracks=TRACKS)
    points = [a for c in reading.clauses for a in c.asks if a.concept == "eq_point"]
    assert [p.descriptor for p in points] == [(3000.0, 5000.0)]
    assert not any(a.concept == "level" for c in reading.clauses for a in c.asks)


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        # a band said with a quality: the band goes the way the quality asks
        ("the top end of the guitar is scratchy", [("brightness", -1), ("harsh", -1)]),
        ("the top end on the keys is dull", [("brightness", 1)]),
        # "too" said of the first of two qualities is said of both
        ("the ride is too pingy and bright", [("brightness", -1)]),
        # a verb taking a band or a reverb off
        ("take the edge off the guitar", [("presence", -1)]),
        ("take the reverb off the bass", [("wet", -1)]),
        # "all X and no Y": too much of one, not enough of the other
        ("the kick is all click and no thump", [("presence", -1), ("low_end", 1)]),
        # the low end said short, and where, not a fader's way
        ("the kick needs more low", [("low_end", 1)]),
        ("the bass is boomy down low", [("boom", -1), ("low_end", -1)]),
        ("the vocal is too wet and distant", [("wet", -1)]),
        ("the mix sounds too distant and washed", [("wet", -1)]),
    ],
)
def test_bands_said_with_a_quality_and_verbs_on_them(brief: str, expected: list) -> None:
    assert asks(brief) == expected


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        ("the voice have too much of S sounds", [("sibilance", -1)]),
        ("please give the voice more reverberation", [("wet", 1)]),
        ("the snare could use some tail", [("wet", 1)]),
        ("the guitars lack chunk", [("low_end", 1)]),
        ("in the verses the bass is kinda weak", [("level", 1)]),
        ("in the second verse the guitar is too much", [("level", -1)]),
        ("the reverb on the guitars is way overdone", [("wet", -1)]),
        ("separate the kick from the bass", [("buried", -1)]),
        ("the pad smears over the vocal", [("buried", -1)]),
        # wordings that are not what they look like
        ("guitars n keys fighting for the same space", [("buried", -1)]),
        ("the pad feels heavy and clouds things", [("low_end", -1), ("mud", -1)]),
        ("there is an annoying honk in the vocals", [("honk", -1)]),
    ],
)
def test_more_slang_for_faults_space_and_level(brief: str, expected: list) -> None:
    assert asks(brief) == expected


def test_two_parts_in_a_relation_stay_one_clause() -> None:
    brief = "there is a clash between kick and bass in the low end"
    assert (
        targets_of(brief)[0] == [("role", "drums"), ("role", "bass")] or len(targets_of(brief)) == 1
    )
    assert ("buried", -1) in asks(brief)


def test_a_section_kicking_in_names_no_kick() -> None:
    reading = read_brief("the vocal disappears when the chorus kicks in", tracks=TRACKS)
    assert [t.value for c in reading.clauses for t in c.targets] == ["vocal"]
    assert [s.label for c in reading.clauses for s in c.sections] == ["chorus"]


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        # "no" before a quality a part lacks; "no" before an effect takes it away
        ("snare sounds like paper, no body", [("low_end", 1)]),
        ("no reverb on the snare", [("send_off", -1)]),
        # "too" typed short, only where a quality follows
        ("vocal has to much low end", [("low_end", -1)]),
        ("the guitar is to bright", [("brightness", -1)]),
        # a closed sound is a dull one, not an intimate mood
        ("the vocal sounds a bit closed", [("brightness", 1)]),
        # a part taking up a band has too much of it
        ("the lead is too fat, it takes up all the low end", [("low_end", -1)]),
        # one part in the way of another, two living on top of each other
        ("guitar is in the way of the vocal", [("buried", -1)]),
        ("the kick and the bass are living on top of each other", [("buried", -1)]),
    ],
)
def test_lacks_typos_and_parts_in_each_others_way(brief: str, expected: list) -> None:
    assert asks(brief) == expected


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        # a quality said to be missing from how the part is now
        ("the vocal is not cutting through", [("presence", 1)]),
        ("the mix doesn't sound bright", [("brightness", 1)]),
        # "solo" as a part or a section is not the solo button
        ("the guitar solo gets lost", [("buried", -1)]),
        ("solo the bass", [("solo", 1)]),
        ("dial in some slapback on the vocal", [("echo", 1)]),
        ("the shaker is too prominent", [("level", -1)]),
    ],
)
def test_missing_qualities_solos_and_more_parts(brief: str, expected: list) -> None:
    assert asks(brief) == expected


def test_speakers_are_a_place_not_a_near_spelling_of_a_part() -> None:
    reading = read_brief("i can barely make out the bass on small speakers", tracks=TRACKS)
    assert [t.value for c in reading.clauses for t in c.targets] == ["bass"]


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        ("the bass is too far forward", [("level", -1)]),
        ("the low end is a mess", [("low_end", -1), ("mud", -1)]),
        ("the guitars are a wall of mush", [("mud", -1)]),
        # when it is heard is not a level asked for
        ("mix is kinda harsh on the ears at high volume", [("harsh", -1)]),
    ],
)
def test_where_a_part_stands_and_when_it_is_heard(brief: str, expected: list) -> None:
    assert asks(brief) == expected


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        # a ring is a drum's mid resonance; "lose that" takes it away, nothing is buried
        ("the snare has this annoying ring to it, can we lose that", [("box", -1)]),
        ("the lead is screechy", [("harsh", -1)]),
        ("the hats are too bright and tizzy", [("brightness", -1), ("sizzle", -1)]),
        # a complaint word said as a wish asks for more of it
        ("the vocal should jump out more when the chorus hits", [("level", 1)]),
        ("the vocal sticks out too much", [("level", -1)]),
        # "dull it down" is the verb; "it is dull" the complaint
        ("dull the pad down a bit", [("brightness", -1)]),
        ("the pad sounds dull", [("brightness", 1)]),
        # a part overpowering a band has too much of it; a bone-dry part wants reverb
        ("the bass is overpowering the bottom end", [("low_end", -1)]),
        ("vox needs some space around it, its bone dry", [("wet", 1)]),
        # the loudness said of a reverb is the reverb's own
        ("vocal verb is too long and loud", [("reverb_size", -1), ("wet", -1)]),
        # a part sitting on another masks it; fighting for space is not a reverb's space
        ("the pad is sitting right on top of the vocal", [("buried", -1)]),
        ("the keys and the guitar are fighting for space", [("buried", -1)]),
        ("guitar and keys blur together", [("buried", -1)]),
        ("kick has no click, i want to hear the beater", [("presence", 1)]),
    ],
)
def test_rings_wishes_verbs_and_parts_on_parts(brief: str, expected: list) -> None:
    assert asks(brief) == expected


def test_a_fragment_naming_nothing_is_the_part_said_before() -> None:
    reading = read_brief("the bass is all low end and no attack, bring out the pick", tracks=TRACKS)
    assert [t.value for t in reading.clauses[-1].targets] == ["bass"]
    assert ("growl", 1) in [(a.concept, a.direction) for a in reading.clauses[-1].asks]


def test_how_hard_a_part_hits_in_a_section_is_its_level_there() -> None:
    reading = read_brief("guitars should hit harder in the chorus", tracks=TRACKS)
    (clause,) = reading.clauses
    assert [(a.concept, a.direction) for a in clause.asks] == [("level", 1)]
    assert [s.label for s in clause.sections] == ["chorus"]


def test_two_parts_joined_after_a_comma_stay_one_relation() -> None:
    reading = read_brief("low end is a mess, kick and bass stepping on each other", tracks=TRACKS)
    assert sorted(t.value for t in reading.clauses[-1].targets) == ["bass", "kick"]
    assert [a.concept for a in reading.clauses[-1].asks] == ["buried"]


def test_felt_more_than_heard_is_the_sub() -> None:
    assert asks("the bass should be felt more than heard") == [("sub", 1)]


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        # a state said with "find", "has a lot of", "it makes the mix ..."
        ("i find the piano very dark", [("brightness", 1)]),
        ("the pad has a lot of low end", [("low_end", -1)]),
        ("it makes the mix heavy", [("low_end", -1)]),
        ("make the mix heavy", [("low_end", 1)]),
        # a reverb said to cause a problem comes down
        ("the reverb makes everything muddy", [("wet", -1), ("mud", -1)]),
        # ears eaten are harsh, not a part buried; two parts as one blob clash
        ("cymbals are eating my ears", [("harsh", -1)]),
        ("bass and kick are one big blob", [("buried", -1)]),
        # a part said to be fine takes no move
        ("turn all the instruments down a touch, the vocal is fine", [("level", -1)]),
    ],
)
def test_states_causes_and_parts_said_fine(brief: str, expected: list) -> None:
    assert asks(brief) == expected


def test_a_part_complaint_said_apart_keeps_its_part_and_section() -> None:
    reading = read_brief("the vocal in the verses feels small and far away", tracks=TRACKS)
    said = [
        (a.concept, a.direction, [t.value for t in c.targets], [s.label for s in c.sections])
        for c in reading.clauses
        for a in c.asks
    ]
    assert ("level", 1, ["vocal"], ["verse"]) in said


def test_a_stem_named_other_is_not_the_other_of_each_other() -> None:
    stems = [("drums", "drums"), ("bass", "bass"), ("other", "other"), ("vocals", "vocal")]
    reading = read_brief("kick and bass are stepping on each other", tracks=stems)
    assert {t.value for c in reading.clauses for t in c.targets} == {"kick", "bass"}
    reading = read_brief("turn the other stem down", tracks=stems)
    assert [t.value for c in reading.clauses for t in c.targets] == ["other"]
