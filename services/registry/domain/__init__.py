"""Registry domain: pure rules (no FastAPI, no SQLAlchemy, no I/O).

* ``figures``     — the evaluation engine's inputs (enterprise profile, annual figures, IP, honours, judgements).
* ``size_class``  — the 2017 statistical size classification (国统字〔2017〕213号) as data.
* ``evaluation``  — versioned rule sets for the enterprise ladder and HNTE, and the interpreter that applies them.
* ``dates``       — calendar arithmetic shared by the rules (the same day N years on).
* ``plain``       — conversion of domain objects to and from JSON-ready plain values, for storage and events.
"""
