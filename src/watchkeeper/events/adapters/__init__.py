"""The monitoring tools' own formats: one module per tool, each a pure function ``parse(payload)``
that checks a payload and turns it into ``Incoming`` events, raising pydantic's ``ValidationError``
naming the field (``alerts.0.labels: Field required``) for a payload it cannot take."""
