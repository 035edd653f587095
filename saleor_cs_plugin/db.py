"""Writes of many rows in one statement each, for the sweeps.

Django's ``bulk_update`` builds a CASE per field and row, and ``bulk_create`` binds
every value as its own parameter; for a few hundred rows that costs seconds. These
send one array per column instead and let PostgreSQL ``unnest`` them.
"""

from collections.abc import Collection

from django.db import connection
from django.db.models import JSONField


def column_arrays(objects, fields, *, add: bool = True):
    """The values of ``fields`` of ``objects`` as one list per field, and the SQL
    that casts each (``%s::type[]``, comma separated), for ``unnest``."""
    # pre_save fills auto_now fields, as Model.save() would. Only JSON needs Django's
    # preparation here; psycopg takes the other values (aware datetimes, dates, text,
    # numbers, UUIDs) as they are, and preparing them costs most of a sweep's time.
    values = [
        [
            field.get_db_prep_save(field.pre_save(obj, add), connection)
            if isinstance(field, JSONField)
            else field.pre_save(obj, add)
            for obj in objects
        ]
        for field in fields
    ]
    casts = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    return values, casts


def insert_rows(
    model,
    objects,
    *,
    skip_conflicts: bool = False,
    returning: str = "",
    database_now: Collection[str] = (),
) -> list:
    """Insert ``objects``, unsaved instances of one model.

    With ``skip_conflicts``, rows that would break a unique constraint are left out.
    The fields named in ``database_now`` get the database's time of the statement,
    whatever the objects hold. Returns the ``returning`` column of the inserted rows,
    if asked.
    """
    if not objects:
        return []
    quote = connection.ops.quote_name
    # A serial primary key left empty is numbered by the database.
    fields = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and getattr(objects[0], field.attname) is None)
    ]
    given = [field for field in fields if field.name not in database_now]
    values, casts = column_arrays(objects, given, add=True)
    columns = ", ".join(quote(field.column) for field in fields)
    select = ", ".join(
        "statement_timestamp()"
        if field.name in database_now
        else f"new.{quote(field.column)}"
        for field in fields
    )
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"SELECT {select} FROM unnest({casts}) "
        f"AS new({', '.join(quote(field.column) for field in given)})"
    )
    if skip_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += f" RETURNING {quote(returning)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return [row[0] for row in cursor.fetchall()] if returning else []


def update_rows(model, objects, field_names: list[str]) -> None:
    """Write ``field_names`` of ``objects`` (matched by primary key)."""
    if not objects:
        return
    pk = model._meta.pk
    fields = [pk, *(model._meta.get_field(name) for name in field_names)]
    values, casts = column_arrays(objects, fields, add=False)
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    assignments = ", ".join(
        f"{quote(field.column)} = new.{quote(field.column)}" for field in fields[1:]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} AS old SET {assignments} "
            f"FROM unnest({casts}) AS new({names}) "
            f"WHERE old.{quote(pk.column)} = new.{quote(pk.column)}",
            values,
        )
