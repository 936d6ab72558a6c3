"""The session reads the council once per render (pages/_app/session.py): a page asks for it a score of times."""

from __future__ import annotations


def test_the_council_is_read_once_per_render_and_afresh_outside_one(sample_db_copy, monkeypatch):
    from pages._app import session

    monkeypatch.setenv("HCP_DB", str(sample_db_copy))
    reads: list[str] = []
    real = session.default_council

    def counted(store):
        reads.append(real(store))
        return reads[-1]

    monkeypatch.setattr(session, "default_council", counted)
    session.store.clear()
    try:
        with session.render():
            codes = {session.council_code() for _ in range(5)}
        assert codes == set(reads) and len(reads) == 1
        with session.render():
            session.council_code()
        assert len(reads) == 2  # the next render reads it again
        session.council_code()
        session.council_code()
        assert len(reads) == 4  # outside a render, every call reads it
    finally:
        session.store.clear()
