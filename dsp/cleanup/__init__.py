"""The clean-up pass: find and repair what is wrong with a recording before it is mixed.

One fault per module, each holding its detector and its processing stage: ``dc`` (DC offset),
``hum`` (mains hum and its harmonics), ``clicks`` (clicks and pops), ``noise`` (a broadband
noise floor), ``rumble`` (energy under a role's useful range, plosive thumps on vocals) and
``sibilance`` (harsh esses). ``spec`` holds the frozen settings a track stores, ``stream``
the block-wise plumbing that makes every stage give the same samples whatever the block size,
``chain`` runs a track's stages in order and ``detect`` runs every detector on one stem.
"""
