from sqlalchemy import inspect


def test_migrations_create_the_alembic_version_table(engine):
    assert "alembic_version" in inspect(engine).get_table_names()
