"""``mixchat batch``: a catalogue of songs (one stems folder each) automixed, briefed,
mastered and reported, on a Ray cluster: an embedded local one by default, or an existing one.

* ``jobs``      the songs of a catalogue, the options every song gets, what a task is given
* ``manifest``  a finished song's proof (hashes, written last) and the atomic hand-over
* ``song``      one song, start to finish, in one task: the same turns the CLI runs
* ``elastic``   a song given one core borrows the node's idle ones (a batch's tail)
* ``cluster``   Ray: joining or starting the cluster, declaring each task's cores and memory
* ``runner``    the batch: skip what is finished, run the rest, write ``batch.json``

Tasks pass file paths, never audio. Ray is imported only by ``cluster``, and only when a
batch has work to do.

May import: ``reading`` to ``demo`` (the turns the CLI runs), ``mixchat.tools``,
``mixchat.dsp``; never ``tui`` or ``cli``.
"""
