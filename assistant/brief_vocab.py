"""The words the brief reader knows besides the lexicon: concepts, roles, groups, amounts.

Concepts are the axes the offline planner can move from the analysis. A word maps to a
concept and a sign (``dark`` is brightness -1); ``PROBLEMS`` are concepts whose bare mention
means "less of it" ("harsh", "muddy", "buried").
"""

from __future__ import annotations

CONCEPT_WORDS: dict[str, tuple[str, int]] = {
    # brightness / tilt
    "bright": ("brightness", 1), "brilliant": ("brightness", 1), "crisp": ("brightness", 1),
    "shiny": ("brightness", 1), "sparkly": ("air", 1), "sparkle": ("air", 1),
    "treble": ("brightness", 1), "top end": ("brightness", 1), "highs": ("brightness", 1),
    "high end": ("brightness", 1), "dark": ("brightness", -1),
    "dull": ("brightness", -1), "muffled": ("brightness", -1), "mellow": ("brightness", -1),
    "veiled": ("brightness", -1), "lofi": ("brightness", -1), "lo fi": ("brightness", -1),
    "warm": ("warmth", 1), "cold": ("warmth", -1), "sterile": ("warmth", -1),
    "cozy": ("warmth", 1), "vintage": ("warmth", 1),
    # problem bands
    "harsh": ("harsh", 1), "piercing": ("harsh", 1), "shrill": ("harsh", 1),
    "brittle": ("harsh", 1), "edgy": ("harsh", 1), "abrasive": ("harsh", 1),
    "strident": ("harsh", 1), "grating": ("harsh", 1), "tinny": ("harsh", 1),
    "ear piercing": ("harsh", 1), "aggressive": ("harsh", 1), "spiky": ("harsh", 1),
    "smooth": ("harsh", -1), "silky": ("harsh", -1), "soft": ("harsh", -1),
    "muddy": ("mud", 1), "mud": ("mud", 1), "murky": ("mud", 1), "cloudy": ("mud", 1),
    "woolly": ("mud", 1), "wooly": ("mud", 1), "congested": ("mud", 1), "mushy": ("mud", 1),
    "clean": ("mud", -1), "cleaner": ("mud", -1),
    "boomy": ("boom", 1), "boom": ("boom", 1), "rumble": ("boom", 1), "rumbly": ("boom", 1),
    "flabby": ("boom", 1), "bloated": ("boom", 1), "tubby": ("boom", 1),
    "boxy": ("box", 1), "cardboard": ("box", 1), "honky": ("honk", 1), "nasal": ("honk", 1),
    "honk": ("honk", 1), "sibilant": ("sibilance", 1), "sibilance": ("sibilance", 1),
    "essy": ("sibilance", 1), "fizzy": ("sibilance", 1),
    # body / low end
    "thin": ("low_end", -1), "weedy": ("low_end", -1), "lightweight": ("low_end", -1),
    "full": ("low_end", 1), "fat": ("low_end", 1), "thick": ("low_end", 1),
    "body": ("low_end", 1), "weight": ("low_end", 1), "heavy": ("low_end", 1),
    "beefy": ("low_end", 1), "bassy": ("low_end", 1), "low end": ("low_end", 1),
    "bottom": ("low_end", 1), "bottom end": ("low_end", 1), "lows": ("low_end", 1),
    "sub": ("sub", 1), "subby": ("sub", 1), "sub bass": ("sub", 1),
    # top
    "air": ("air", 1), "airy": ("air", 1), "open": ("air", 1), "breathy": ("air", 1),
    "presence": ("presence", 1), "present": ("presence", 1), "forward": ("presence", 1),
    "upfront": ("presence", 1), "up front": ("presence", 1), "in your face": ("presence", 1),
    "cut through": ("presence", 1), "intelligible": ("presence", 1),
    "clear": ("clarity", 1), "clarity": ("clarity", 1), "defined": ("clarity", 1),
    "definition": ("clarity", 1), "separation": ("clarity", 1), "cluttered": ("clarity", -1),
    "crowded": ("clarity", -1), "busy": ("clarity", -1),
    # dynamics
    "punch": ("punch", 1), "punchy": ("punch", 1), "snappy": ("punch", 1), "snap": ("punch", 1),
    "impact": ("punch", 1), "thump": ("punch", 1), "knock": ("punch", 1), "slap": ("punch", 1),
    "hit harder": ("punch", 1), "transients": ("punch", 1), "attack": ("punch", 1),
    "glue": ("glue", 1), "glued": ("glue", 1), "cohesive": ("glue", 1), "gel": ("glue", 1),
    "together": ("glue", 1), "compressed": ("compression", 1), "controlled": ("compression", 1),
    "consistent": ("compression", 1), "squashed": ("compression", 1),
    "dynamic": ("compression", -1), "dynamics": ("compression", -1),
    "distorted": ("saturation", 1), "dirty": ("saturation", 1), "gritty": ("saturation", 1),
    "grit": ("saturation", 1), "crunchy": ("saturation", 1), "crunch": ("saturation", 1),
    "saturated": ("saturation", 1), "saturation": ("saturation", 1), "analog": ("saturation", 1),
    "tape": ("saturation", 1), "grungy": ("saturation", 1),
    # space
    "wide": ("width", 1), "width": ("width", 1), "spacious": ("width", 1),
    "stereo": ("width", 1), "narrow": ("width", -1), "mono": ("width", -1),
    "focused": ("width", -1), "centered": ("width", -1), "centred": ("width", -1),
    "wet": ("wet", 1), "reverb": ("wet", 1), "reverby": ("wet", 1), "ambient": ("wet", 1),
    "roomy": ("wet", 1), "spacey": ("wet", 1), "washy": ("wet", 1), "lush": ("wet", 1),
    "ambience": ("wet", 1), "space": ("wet", 1), "depth": ("wet", 1),
    "dry": ("wet", -1), "intimate": ("wet", -1), 
    "echo": ("echo", 1), "delay": ("echo", 1), "echoey": ("echo", 1),
    # level and balance
    "loud": ("level", 1), "louder": ("level", 1), "quiet": ("level", -1),
    "quieter": ("level", -1), "hard": ("level", 1), "volume": ("level", 1),
    "level": ("level", 1), "big": ("level", 1), "bigger": ("level", 1),
    "buried": ("buried", 1), "lost": ("buried", 1), "masked": ("buried", 1),
    "swamped": ("buried", 1), "drowned": ("buried", 1), "drowning": ("buried", 1),
    "hidden": ("buried", 1), "hard to hear": ("buried", 1), "cant hear": ("buried", 1),
    "can't hear": ("buried", 1), "get lost": ("buried", 1), "gets lost": ("buried", 1),
    "getting lost": ("buried", 1), "covered": ("buried", 1), "masking": ("buried", 1),
    "clash": ("buried", 1), "clashing": ("buried", 1), "fighting": ("buried", 1),
    "competing": ("buried", 1), "sticks out": ("level", 1), "poking out": ("level", 1),
    "overpowering": ("level", 1), "distant": ("level", -1), "far away": ("level", -1),
    "energy": ("energy", 1), "energetic": ("energy", 1), "exciting": ("energy", 1),
    "excitement": ("energy", 1), "lively": ("energy", 1),
    "flat": ("energy", -1), "lifeless": ("energy", -1), "boring": ("energy", -1),
}
PROBLEMS = frozenset({"harsh", "mud", "boom", "box", "honk", "sibilance", "buried"})
# Comparatives that only reduce the quality named ("too X" is always "less X").
REDUCERS = (
    "less", "not so", "not as", "too", "reduce", "remove", "get rid of", "fix", "tame",
    "lose", "kill", "take out", "take away", "take off", "without", "no", "fewer",
    "decrease", "cut the", "clean up", "cut down", "minus", "lower the", "way too",
    "bit too", "little too", "a touch too", "overly", "excessive", "excess", "so much",
)
INCREASERS = (
    "more", "add", "extra", "boost", "increase", "enhance", "bring out", "give it",
    "needs", "need", "lacks", "lacking", "missing", "not enough", "emphasise", "emphasize",
    "accentuate", "some",
)

ROLE_WORDS: dict[str, str] = {
    "lead vocal": "vocal", "lead vocals": "vocal", "main vocal": "vocal", "vocal": "vocal",
    "vocals": "vocal", "vox": "vocal", "voice": "vocal", "singer": "vocal",
    "vocalist": "vocal", "lyrics": "vocal", "words": "vocal", "vocal track": "vocal",
    "backing vocals": "backing_vocal", "backing vocal": "backing_vocal", "bvs": "backing_vocal",
    "harmonies": "backing_vocal", "backups": "backing_vocal", "choir": "backing_vocal",
    "kick": "kick", "kick drum": "kick", "bass drum": "kick", "kicks": "kick",
    "snare": "snare", "snares": "snare", "clap": "snare", "claps": "snare",
    "hats": "hats", "hat": "hats", "hi hat": "hats", "hi hats": "hats", "hihat": "hats",
    "hihats": "hats", "cymbals": "overheads", "overheads": "overheads", "toms": "toms",
    "bass": "bass", "bassline": "bass", "bass guitar": "bass", "808": "bass",
    "the 808": "bass", "808s": "bass", "bass line": "bass",
    "guitar": "guitar", "guitars": "guitar", "gtr": "guitar", "gtrs": "guitar",
    "keys": "keys", "piano": "keys", "keyboard": "keys", "keyboards": "keys",
    "rhodes": "keys", "organ": "keys", "ep": "keys",
    "pad": "pad", "pads": "pad", "strings": "pad",
    "lead synth": "lead", "synth lead": "lead", "lead": "lead", "melody": "lead",
    "lead line": "lead", "topline": "lead",
}
DRUM_ROLES = frozenset(
    {"drums", "kick", "snare", "hats", "toms", "overheads", "percussion", "perc", "room"}
)
VOCAL_ROLES = frozenset({"vocal", "lead_vocal", "vocals"})
GROUP_WORDS: dict[str, str] = {
    "drums": "drums", "drum": "drums", "the kit": "drums", "drum kit": "drums",
    "percussion": "drums", "beat": "drums", "groove": "drums",
    "band": "band", "the band": "band", "music": "band", "instruments": "band",
    "instrumental": "band", "backing": "band", "backing track": "band", "track behind": "band",
    "everything but the vocal": "band", "everything except the vocal": "band",
    "everything else": "band", "all but the vocal": "band", "rest of the band": "band",
    "rest of the mix": "band", "the rest": "band",
    "rhythm section": "rhythm", "synths": "synths", "synth": "synths",
    "low end instruments": "rhythm",
}
MIX_WORDS = (
    "the mix", "whole mix", "the master", "overall", "the whole thing", "everything",
    "the song", "whole song", "the track", "entire mix", "the whole track", "it",
)
SECTION_WORDS: dict[str, str] = {
    "chorus": "chorus", "choruses": "chorus", "hook": "chorus", "hooks": "chorus",
    "refrain": "chorus", "refrains": "chorus", "drop": "chorus", "drops": "chorus",
    "verse": "verse", "verses": "verse", "bridge": "bridge", "middle 8": "bridge",
    "middle eight": "bridge", "breakdown": "bridge", "intro": "intro", "outro": "outro",
    "ending": "outro", "pre chorus": "pre_chorus", "prechorus": "pre_chorus",
    "pre choruses": "pre_chorus", "build": "pre_chorus", "buildup": "pre_chorus",
}
ORDINALS: dict[str, int] = {
    "first": 1, "1st": 1, "opening": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "fifth": 5, "5th": 5, "last": -1, "final": -1,
}
# Amount words, longest first; each scales the planner's base move.
AMOUNT_WORDS: tuple[tuple[str, float], ...] = (
    ("a tiny bit", 0.5), ("a little bit", 0.75), ("just a touch", 0.5), ("a touch", 0.5),
    ("a tad", 0.5), ("a hair", 0.5), ("a smidge", 0.5), ("ever so slightly", 0.4),
    ("slightly", 0.5), ("subtly", 0.5), ("subtle", 0.5), ("gently", 0.6), ("barely", 0.4),
    ("quite a bit", 1.5), ("quite a lot", 2.0), ("a whole lot", 2.5), ("a lot", 2.5),
    ("lots", 2.5), ("loads", 2.5), ("way more", 2.5), ("way less", 2.5), ("much more", 2.5),
    ("much less", 2.5), ("massively", 2.5), ("hugely", 2.5), ("dramatically", 2.5),
    ("heavily", 2.0), ("seriously", 2.0), ("really", 1.75), ("significantly", 1.75),
    ("noticeably", 1.5), ("very", 1.75), ("super", 2.0), ("a bit", 1.0), ("a little", 1.0),
    ("somewhat", 1.0), ("some", 1.0), ("much", 2.5), ("more", 1.5), ("lot", 2.5),
)
DEFAULT_AMOUNT = 1.25
TARGETS_LUFS: dict[str, float] = {
    "spotify": -14.0, "youtube": -14.0, "tidal": -14.0, "amazon": -14.0, "streaming": -14.0,
    "apple music": -16.0, "apple": -16.0, "itunes": -16.0, "podcast": -16.0,
    "soundcloud": -11.0, "club": -9.0, "dj": -9.0, "cd": -9.0, "radio": -10.0,
    "broadcast": -23.0, "ebu": -23.0, "tv": -23.0,
}
STOPWORDS = frozenset(
    """a an the it its it's this that these those is are was were be been being am i me my we
    our you your he she they them their and or but so then also to of in on at for with by from
    up down out over under into onto off about than as just can could would should will shall
    please make makes making made let lets get gets getting got give put keep sound sounds
    sounding feel feels feeling bit little lot touch tad hair much more less very really too
    quite some any way like bring turn push pull raise lower do does did done go going now
    there here what how why when where which who all everything whole thing mix song track
    tracks stem stems part parts overall again little slightly one two version not no yes okay
    ok hey hi thanks thank need needs want wants think maybe kind sort of little right left
    same still even enough""".split()
)
