"""What the benchmarks share: Django set-up, the tests' webhook channel set-up, and
copies of one row written in SQL for big tables."""

import django

django.setup()

from django.db import connection  # noqa: E402
from peers import drop_channel, webhook_channel  # noqa: E402, F401

WEBHOOK_SECRET = "benchmark-secret-of-enough-length"


def copy_rows(
    model, template_pk, select_from: str, values: dict[str, str], where="TRUE"
):
    """Insert one copy of the row ``template_pk`` of ``model`` (as ``t``) for each
    row of ``select_from`` (SQL after FROM, with the aliases the ``values`` use)
    that passes ``where``, columns given by ``values`` (SQL expressions), the others
    copied. A column of an identity or serial key left out of ``values`` takes its
    next value."""
    table = model._meta.db_table
    pk = model._meta.pk
    columns = [
        field.column
        for field in model._meta.concrete_fields
        if not (field is pk and pk.get_internal_type() in {"AutoField", "BigAutoField"})
        or field.column in values
    ]
    select = ", ".join(values.get(column, f't."{column}"') for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} ({", ".join(f'"{c}"' for c in columns)})
            SELECT {select} FROM {table} t, {select_from}
            WHERE t.{pk.column} = %s AND ({where})
            """,
            [template_pk],
        )
