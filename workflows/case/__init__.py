"""The pure case core: the model, the rules, one declaration per step, typed events and the
decisions. No Temporal import, no I/O, no clock: unit-tested in milliseconds, and run by the
workflow shell (`workflows/accompaniment.py`) inside Temporal's sandbox."""
