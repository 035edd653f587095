"""What the permission audit reads from the schema and the docs, and how it words a
call: Saleor's schema built without the plugin, the fields the plugin adds (the
difference), the table of docs/permissions.md, and a GraphQL operation generated from
the introspected types for one of those fields.

Nothing here names a field of the plugin: a field the plugin starts adding is found,
called and held to the table without this file changing.
"""

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

PERMISSIONS_DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"

# The callers, in the order of the table's columns.
CALLERS = (
    "anonymous",
    "customer",
    "other customer",
    "staff without",
    "staff with",
    "staff of another channel",
    "app without",
    "app with",
)
TABLE_HEADER = (
    "Field",
    "Anonymous",
    "Customer",
    "Other customer",
    "Staff without",
    "Staff with the permission",
    "Staff of another channel",
    "App without",
    "App with",
)
NO_PERMISSION = "none"

# Saleor builds its schema once, on the first import of saleor.graphql.api; a fresh
# interpreter with the same settings minus the plugin's app builds Saleor's own.
_SALEOR_ALONE = r"""
import importlib, json, sys

settings = importlib.import_module(sys.argv[1])
settings.INSTALLED_APPS = [
    app for app in settings.INSTALLED_APPS if not app.startswith("saleor_cs_plugin")
]
settings.PLUGINS = [
    plugin for plugin in settings.PLUGINS if not plugin.startswith("saleor_cs_plugin")
]
import django

django.setup()
from django.apps import apps

assert not apps.is_installed("saleor_cs_plugin")
from saleor.graphql.api import schema

with open(sys.argv[2], "w") as file:
    json.dump(schema.introspect(), file)
"""


def saleor_schema_without_plugin() -> dict:
    """The introspection of Saleor's schema as Saleor builds it without the plugin."""
    saleor_home = Path(sys.modules["saleor"].__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "schema.json"
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(path for path in sys.path if path),
            "PYTHONWARNINGS": "ignore",
        }
        completed = subprocess.run(
            [sys.executable, "-c", _SALEOR_ALONE, settings.SETTINGS_MODULE, output],
            cwd=saleor_home,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if completed.returncode != 0:
            raise AssertionError(
                "Building Saleor's schema without the plugin failed:\n"
                + completed.stderr[-3000:]
            )
        return json.loads(output.read_text())


def schema_with_plugin() -> dict:
    """The introspection of the schema this Saleor serves, with the plugin."""
    from saleor.graphql.api import schema  # noqa: PLC0415

    return schema.introspect()


def types_of(introspection: dict) -> dict:
    return {item["name"]: item for item in introspection["__schema"]["types"]}


@dataclass(frozen=True)
class Addition:
    """A field the plugin adds to one of Saleor's types, or an argument it adds to
    one of Saleor's fields (``argument`` set)."""

    type_name: str
    field_name: str
    argument: str = ""

    @property
    def row(self) -> str:
        name = f"{self.type_name}.{self.field_name}"
        return f"{name}({self.argument})" if self.argument else name


def plugin_additions(with_plugin: dict, saleor_alone: dict) -> list[Addition]:
    """What the served schema has on Saleor's own types that Saleor alone lacks.

    Types only the plugin defines are reached through these fields; their fields are
    selected in every call and searched for leaks, so they need no rows.
    """
    served, own = types_of(with_plugin), types_of(saleor_alone)
    additions = []
    for name, own_type in own.items():
        if own_type["kind"] not in ("OBJECT", "INTERFACE"):
            continue
        own_fields = {field["name"]: field for field in own_type["fields"] or ()}
        for field in served[name]["fields"] or ():
            if field["name"] not in own_fields:
                additions.append(Addition(name, field["name"]))
                continue
            own_arguments = {arg["name"] for arg in own_fields[field["name"]]["args"]}
            additions.extend(
                Addition(name, field["name"], arg["name"])
                for arg in field["args"]
                if arg["name"] not in own_arguments
            )
    return sorted(additions, key=lambda addition: addition.row)


def removed_by_plugin(with_plugin: dict, saleor_alone: dict) -> list[str]:
    """Fields of Saleor's own that the served schema lacks (the plugin must remove
    nothing)."""
    served, own = types_of(with_plugin), types_of(saleor_alone)
    removed = []
    for name, own_type in own.items():
        if name not in served:
            removed.append(name)
            continue
        served_fields = {field["name"] for field in served[name]["fields"] or ()}
        removed.extend(
            f"{name}.{field['name']}"
            for field in own_type["fields"] or ()
            if field["name"] not in served_fields
        )
    return removed


@dataclass(frozen=True)
class Row:
    field: str
    permissions: tuple[str, ...]
    expected: dict


def read_table(path: Path = PERMISSIONS_DOC) -> dict[str, Row]:
    """The rows of the one table of docs/permissions.md, by field.

    The "Staff with the permission" cell reads ``PERMISSION: outcome`` (several
    permissions joined by ``+``, ``none`` for none); the app with the permission gets
    the same ones, and so does the staff of another channel, in a group restricted to
    a channel the objects are not in.
    """
    rows = {}
    lines = [line.strip() for line in path.read_text().splitlines()]
    header = "| " + " | ".join(TABLE_HEADER) + " |"
    start = lines.index(header)
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) != len(TABLE_HEADER):
            raise AssertionError(
                f"docs/permissions.md: a row of {len(cells)} cells: {line}"
            )
        field = cells[0].strip("`")
        permissions, _, with_outcome = cells[5].partition(":")
        names = tuple(
            name.strip().strip("`")
            for name in permissions.split("+")
            if name.strip().strip("`") != NO_PERMISSION
        )
        outcomes = [*cells[1:5], with_outcome.strip(), *cells[6:]]
        rows[field] = Row(
            field=field,
            permissions=names,
            expected={
                caller: outcome.strip("`")
                for caller, outcome in zip(CALLERS, outcomes, strict=True)
            },
        )
    return rows


# --- Operations generated from the introspected types --------------------------------


def named_type(type_ref: dict) -> str:
    while type_ref.get("ofType"):
        type_ref = type_ref["ofType"]
    return type_ref["name"]


def is_required(type_ref: dict) -> bool:
    return type_ref["kind"] == "NON_NULL"


def written_type(type_ref: dict) -> str:
    if type_ref["kind"] == "NON_NULL":
        return written_type(type_ref["ofType"]) + "!"
    if type_ref["kind"] == "LIST":
        return "[" + written_type(type_ref["ofType"]) + "]"
    return type_ref["name"]


def _inner(type_ref: dict) -> dict:
    return type_ref["ofType"] if type_ref["kind"] == "NON_NULL" else type_ref


class Values:
    """Valid-looking argument values from the objects of the audit's store.

    ``ids`` and ``tokens``: (word, value), the first word that an argument's
    description holds picks the value (``ID of the checkout.``: the checkout's ID).
    """

    def __init__(self, *, ids, tokens, code, channel_slug, text):
        self.ids = ids
        self.tokens = tokens
        self.code = code
        self.channel_slug = channel_slug
        self.text = text

    def by_description(self, pairs, name, description):
        described = f"{name} {description or ''}".lower()
        for word, value in pairs:
            if word in described:
                return value
        raise AssertionError(
            f"No value for the argument '{name}' ({description!r}): name its object "
            "in the description or give the call its arguments in the audit."
        )


def argument_value(name, type_ref, description, types, values: Values):
    """A value for one argument or input field that the right caller could send."""
    inner = _inner(type_ref)
    if inner["kind"] == "LIST":
        return [argument_value(name, inner["ofType"], description, types, values)]
    type_name = inner["name"]
    kind = types[type_name]["kind"]
    now = timezone.now()
    if kind == "INPUT_OBJECT":
        return {
            field["name"]: argument_value(
                field["name"], field["type"], field["description"], types, values
            )
            for field in types[type_name]["inputFields"]
            if is_required(field["type"])
        }
    if kind == "ENUM":
        return next(
            value["name"]
            for value in types[type_name]["enumValues"]
            if value["name"] != "SYSTEM"
        )
    if type_name == "ID":
        return values.by_description(values.ids, name, description)
    if type_name == "String":
        if name == "token":
            return values.by_description(values.tokens, name, description)
        if "code" in name.lower():
            return values.code
        if "channel" in name.lower():
            return values.channel_slug
        return values.text
    if type_name == "Boolean":
        return True
    if type_name == "Int":
        return 10
    if type_name == "DateTime":
        return (now - timedelta(days=30)).isoformat()
    if type_name == "Date":
        day = timezone.localdate(now)
        return str(
            day + timedelta(days=1) if name == "until" else day - timedelta(days=30)
        )
    raise AssertionError(f"No value for the argument '{name}' of type {type_name}.")


def merged(generated, given):
    if isinstance(generated, dict) and isinstance(given, dict):
        return {
            **generated,
            **{key: merged(generated.get(key), value) for key, value in given.items()},
        }
    return given


def selection(type_name: str, types: dict, saleor_types: dict, depth: int = 0) -> str:
    """Every field a caller could read, to a depth of five: Saleor's own objects
    by their ID (a link back into Saleor), everything of the plugin's own types."""
    graphql_type = types[type_name]
    if graphql_type["kind"] in ("SCALAR", "ENUM"):
        return ""
    if type_name in saleor_types or graphql_type["kind"] in ("INTERFACE", "UNION"):
        fields = {field["name"] for field in graphql_type.get("fields") or ()}
        return "{ id }" if "id" in fields else "{ __typename }"
    parts = []
    for field in graphql_type["fields"]:
        arguments = {arg["name"]: arg for arg in field["args"]}
        if any(is_required(arg["type"]) for arg in arguments.values()):
            continue
        written = field["name"] + ("(first: 10)" if "first" in arguments else "")
        inner = named_type(field["type"])
        if types[inner]["kind"] in ("SCALAR", "ENUM"):
            parts.append(written)
        elif depth < 5:
            parts.append(
                f"{written} {selection(inner, types, saleor_types, depth + 1)}"
            )
    return "{ " + " ".join(parts or ["__typename"]) + " }"


@dataclass(frozen=True)
class Operation:
    query: str
    variables: dict
    path: tuple[str, ...]


# How a caller reaches an object of one of Saleor's types: (root field, argument)
# by ID, or for customers their own account.
HOSTS = {
    "Order": ("order", "order"),
    "Checkout": ("checkout", "checkout"),
    "User": ("user", "customer"),
}
CUSTOMER_CALLERS = ("customer", "other customer")


def operation(
    addition: Addition,
    *,
    caller: str,
    types: dict,
    saleor_types: dict,
    values: Values,
    given_arguments: dict,
) -> Operation:
    """The query or mutation that calls ``addition`` as ``caller`` would."""
    host = types[addition.type_name]
    field = next(item for item in host["fields"] if item["name"] == addition.field_name)
    variables, definitions, written_args = {}, [], []
    for index, arg in enumerate(field["args"]):
        if arg["name"] in given_arguments:
            value = given_arguments[arg["name"]]
            if is_required(arg["type"]) or arg["name"] == "first":
                value = merged(
                    argument_value(
                        arg["name"], arg["type"], arg["description"], types, values
                    ),
                    value,
                )
        elif is_required(arg["type"]) or arg["name"] == "first":
            value = argument_value(
                arg["name"], arg["type"], arg["description"], types, values
            )
        else:
            continue
        variable = f"a{index}"
        variables[variable] = value
        definitions.append(f"${variable}: {written_type(arg['type'])}")
        written_args.append(f"{arg['name']}: ${variable}")
    call = addition.field_name + (
        f"({', '.join(written_args)})" if written_args else ""
    )
    call += " " + selection(named_type(field["type"]), types, saleor_types)
    path = (addition.field_name,)
    kind = "query"
    if addition.type_name == "Mutation":
        kind = "mutation"
    elif addition.type_name != "Query":
        if addition.type_name not in HOSTS:
            raise AssertionError(
                f"The audit does not know how a caller reaches a {addition.type_name}; "
                "add the way to HOSTS in permission_audit_support.py."
            )
        root, word = HOSTS[addition.type_name]
        if addition.type_name == "User" and caller in CUSTOMER_CALLERS:
            call, path = f"me {{ {call} }}", ("me", *path)
        else:
            variables["host"] = values.by_description(values.ids, word, "")
            definitions.append("$host: ID!")
            call, path = f"{root}(id: $host) {{ {call} }}", (root, *path)
    written_definitions = f"({', '.join(definitions)})" if definitions else ""
    return Operation(
        query=f"{kind} Audit{written_definitions} {{ {call} }}",
        variables=variables,
        path=path,
    )


def outcome(content: dict, path: tuple[str, ...]) -> str:
    """What a caller got from the field at ``path``: ``denied`` (Saleor's
    PermissionDenied), ``failed CODE`` (an error of another kind), ``null``, ``empty``
    (a list or connection without items), ``error CODE`` (errors as data, the first
    one's code) or ``data``; ``data except a, b`` when fields inside it were denied."""
    own, withheld = [], set()
    for error in content.get("errors") or []:
        code = (
            (error.get("extensions") or {})
            .get("exception", {})
            .get("code", "GraphQLError")
        )
        steps = [step for step in error.get("path") or () if not isinstance(step, int)]
        if (
            code == "PermissionDenied"
            and steps[: len(path)] == list(path)
            and (len(steps) > len(path))
        ):
            withheld.add(steps[-1])
        else:
            own.append(code)
    if "PermissionDenied" in own:
        return "denied"
    if own:
        return f"failed {own[0]}"
    value = content.get("data")
    for step in path:
        value = None if value is None else value.get(step)
    if value is None:
        return "null"
    if isinstance(value, dict) and value.get("errors"):
        return f"error {value['errors'][0]['code']}"
    if value == [] or (isinstance(value, dict) and value.get("edges") == []):
        return "empty"
    if withheld:
        return "data except " + ", ".join(sorted(withheld))
    return "data"


def found(content: dict, secrets: dict, passed: dict) -> list[str]:
    """Which of ``secrets`` (name: value) the whole response holds, except values the
    caller sent itself."""
    text = json.dumps(content, ensure_ascii=False)
    sent = json.dumps(passed, ensure_ascii=False)
    return sorted(
        name
        for name, value in secrets.items()
        if value and value in text and value not in sent
    )
