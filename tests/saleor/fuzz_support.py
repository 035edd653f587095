"""What the fuzz tests aim at and what they send: the plugin's fields and arguments,
found in Saleor's built schema (a field added later is fuzzed without editing a
test), and hypothesis strategies for every GraphQL input type they take.

A field is the plugin's when its result type or its resolver comes from
``saleor_cs_plugin``; its arguments are whatever the schema declares, nested input
objects and lists included.
"""

import base64
import json
import os
from dataclasses import dataclass

import graphene
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

PLUGIN_PACKAGE = "saleor_cs_plugin"

# Where a field of a type Saleor owns is reached from the root, and who calls it.
MOUNT_PATHS = {
    "User": "me",
    "Order": "order(id: $mountOrderId)",
    "Checkout": "checkout(id: $mountCheckoutId)",
}
MOUNT_VARIABLES = {
    "User": {},
    "Order": {"mountOrderId": "ID!"},
    "Checkout": {"mountCheckoutId": "ID!"},
}

# Hostile strings, each of a kind the issue names; every one is sent to every text
# argument of every field (test_fuzz_api) and every setting (test_fuzz_settings).
ONE_MEGABYTE = 1024 * 1024
HOSTILE_TEXTS = {
    "empty": "",
    "blank": " \t ",
    "rtl marks": "\u202egnp.exe\u200f\u200e\u2066abc\u2069",
    "combining": "Z" + "\u0301\u0308\u0327" * 200,
    "astral": "\U0001f4a9\U0001d518\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "nul": "a\x00b",
    "lone surrogate": "x\ud800y",
    "control characters": "".join(chr(c) for c in range(1, 32)) + "\x7f\x85",
    "line separators": "a\u2028b\u2029c",
    "crlf header": "Acme\r\nBcc: victim@example.com\r\nX-Injected: 1",
    "lf header": "Acme\nSubject: injected",
    "format strings": "%s %(x)s {0} {x!r} $customer_name ${x} $$ $",
    "markup": "<script>alert(1)</script>&amp;\"'",
    "sql": "' OR 1=1 --; DROP TABLE x;",
    "bom": "\ufeffcode",
    "huge": "x" * ONE_MEGABYTE,
}

INT_EDGES = [0, 1, -1, 2**31 - 1, -(2**31)]


@dataclass(frozen=True)
class Target:
    """A field of the plugin: where it is (``Type.field``) and its arguments."""

    parent: str
    name: str
    field: object  # graphql-core's GraphQLField
    is_mutation: bool

    @property
    def label(self) -> str:
        return f"{self.parent}.{self.name}"

    @property
    def arguments(self) -> dict:
        return dict(self.field.args)


def _named(graphql_type):
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return graphql_type


def _is_plugins(graphql_type) -> bool:
    graphene_type = getattr(_named(graphql_type), "graphene_type", None)
    return (getattr(graphene_type, "__module__", None) or "").startswith(PLUGIN_PACKAGE)


def _is_saleors(graphql_type) -> bool:
    graphene_type = getattr(graphql_type, "graphene_type", None)
    module = getattr(graphene_type, "__module__", "") or ""
    return module.startswith("saleor.") and not graphql_type.name.endswith(
        ("CountableEdge", "CountableConnection")
    )


def _resolver_module(parent, name: str) -> str:
    graphene_type = getattr(parent, "graphene_type", None)
    if graphene_type is None:
        return ""
    fields = getattr(graphene_type._meta, "fields", {})
    field = fields.get(graphene_field_name(name, fields))
    resolver = getattr(field, "resolver", None)
    resolver = getattr(resolver, "__wrapped__", resolver)
    return getattr(resolver, "__module__", "") or ""


def graphene_field_name(name: str, fields) -> str:
    for python_name in fields:
        if graphene.utils.str_converters.to_camel_case(python_name) == name:
            return python_name
    return name


def plugin_targets(schema) -> list[Target]:
    """Every field the plugin adds to Saleor's types, and every field of the
    plugin's own types that takes arguments, in a stable order."""
    targets = []
    mutation_type = schema.get_mutation_type()
    for type_name, graphql_type in sorted(schema.get_type_map().items()):
        if type_name.startswith("__") or not isinstance(
            graphql_type, GraphQLObjectType
        ):
            continue
        is_plugin_type = _is_plugins(graphql_type)
        for name, field in sorted(graphql_type.fields.items()):
            if is_plugin_type:
                if field.args:
                    targets.append(Target(type_name, name, field, False))
                continue
            # Saleor's checkoutComplete, wrapped to explain its voucher error, is
            # Saleor's field with Saleor's arguments.
            if not _is_saleors(graphql_type):
                # Graphene's edges and connections of the plugin's own types.
                continue
            if _is_plugins(field.type) or (
                _resolver_module(graphql_type, name).startswith(PLUGIN_PACKAGE)
                and not (type_name == "Mutation" and name == "checkoutComplete")
            ):
                targets.append(
                    Target(type_name, name, field, graphql_type is mutation_type)
                )
    return targets


# Strategies ------------------------------------------------------------------------


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(sorted(HOSTILE_TEXTS.values(), key=len)),
        # Every code point but surrogates (JSON carries those only as a pair).
        st.text(max_size=40),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=400),
    )


def global_id(type_name: str, pk) -> str:
    return graphene.Node.to_global_id(type_name, pk)


def hostile_ids(real_ids: list[str]) -> st.SearchStrategy[str]:
    """IDs of every kind: real ones of other types, base64 garbage, numbers, text."""
    garbage = st.binary(max_size=40).map(lambda raw: base64.b64encode(raw).decode())
    return st.one_of(
        st.sampled_from(real_ids),
        garbage,
        st.integers().map(str),
        st.builds(
            global_id,
            st.sampled_from(["Order", "Product", "ServiceSurvey", "User", "Nope", ""]),
            st.one_of(st.integers(), st.uuids().map(str), st.text(max_size=20)),
        ),
        hostile_text(),
    )


def _date_times() -> st.SearchStrategy[str]:
    return st.one_of(
        st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
        st.datetimes().map(lambda moment: moment.isoformat()),
        st.sampled_from(
            [
                "",
                "now",
                "0000-00-00T00:00:00",
                "9999-12-31T23:59:59+14:00",
                "2024-02-30T25:61:00Z",
                "1-01-01T00:00:00Z",
            ]
        ),  # fmt: skip
        hostile_text(),
    )


def _argument_type(target: "Target", name: str):
    """The type of an argument or input field named ``name`` anywhere in
    ``target``'s arguments (the first one found)."""
    pending = list(target.arguments.items())
    while pending:
        found, typed = pending.pop(0)
        if found == name:
            return typed.type
        inner = _named(typed.type)
        if isinstance(inner, GraphQLInputObjectType):
            pending.extend(inner.fields.items())
    return None


def scalar_values(scalar: GraphQLScalarType, known: "Known", name: str, target=None):
    """Values of a scalar; an argument or input field named in ``known.texts``
    (a token, a code, a channel's slug) also gets the store's real ones."""
    kind = scalar.name
    real = known.values(target, name) if target is not None else []
    if kind == "ID":
        ids = hostile_ids(known.ids)
        return st.one_of(st.sampled_from(real), ids) if real else ids
    if kind == "String":
        return (
            st.one_of(st.sampled_from(real), hostile_text()) if real else hostile_text()
        )
    if kind == "Boolean":
        return st.booleans()
    if kind == "Int":
        return st.one_of(st.sampled_from(INT_EDGES), st.integers(-(2**31), 2**31 - 1))
    if kind in {"Float", "Decimal", "PositiveDecimal", "WeightScalar"}:
        return st.one_of(
            st.floats(allow_nan=False, allow_infinity=False),
            st.sampled_from([0, -1, 1e308]),
        )
    if kind == "DateTime":
        return _date_times()
    if kind == "Date":
        return st.one_of(st.dates().map(str), hostile_text())
    if kind == "UUID":
        return st.one_of(st.uuids().map(str), hostile_text())
    # Saleor's other scalars (JSON, JSONString, ...) take any text.
    return hostile_text()


@dataclass(frozen=True)
class Known:
    """Real values of the store under test, to mix with hostile ones: IDs of every
    kind of object, and real strings by argument name."""

    ids: list[str]
    # {argument name, or "field.argument": [real values]}
    texts: dict[str, list[str]]
    # A real, valid value of each text kind where the name knows none.
    plain: dict[str, str]

    def values(self, target: "Target", name: str) -> list[str]:
        return self.texts.get(f"{target.name}.{name}") or self.texts.get(name) or []

    def real(self, target: "Target", name: str):
        values = self.values(target, name)
        if values:
            return values[0]
        kind = _named(_argument_type(target, name))
        return self.plain.get(getattr(kind, "name", ""), "fuzz")


def input_values(graphql_type, known: Known, name: str = "", target=None):
    """Values of a GraphQL input type: null where it is nullable, lists of any
    length, input objects with any subset of their optional fields."""
    if isinstance(graphql_type, GraphQLNonNull):
        return _non_null_values(graphql_type.of_type, known, name, target)
    return st.one_of(st.none(), _non_null_values(graphql_type, known, name, target))


def _non_null_values(graphql_type, known: Known, name: str, target):
    if isinstance(graphql_type, GraphQLList):
        return st.lists(
            input_values(graphql_type.of_type, known, name, target), max_size=5
        )
    if isinstance(graphql_type, GraphQLEnumType):
        return st.sampled_from(sorted(value.name for value in graphql_type.values))
    if isinstance(graphql_type, GraphQLInputObjectType):
        required, optional = {}, {}
        for field_name, field in graphql_type.fields.items():
            values = input_values(field.type, known, field_name, target)
            if isinstance(field.type, GraphQLNonNull):
                required[field_name] = values
            else:
                optional[field_name] = values
        return st.fixed_dictionaries(required, optional=optional)
    return scalar_values(graphql_type, known, name, target)


def argument_values(target: Target, known: Known) -> st.SearchStrategy[dict]:
    """{argument: value} for one call; optional arguments are sometimes left out."""
    required, optional = {}, {}
    for name, argument in target.arguments.items():
        values = input_values(argument.type, known, name, target)
        if isinstance(argument.type, GraphQLNonNull):
            required[name] = values
        else:
            optional[name] = values
    return st.fixed_dictionaries(required, optional=optional)


TEXT_KINDS = {"String", "ID", "DateTime", "Date", "UUID", "JSON"}


def text_slots(target: Target) -> list[str]:
    """Paths of every text or ID argument and input field, e.g. 'input.summary'."""
    slots: list[str] = []

    def walk(graphql_type, path):
        graphql_type = _without_non_null(graphql_type)
        if isinstance(graphql_type, GraphQLList):
            walk(graphql_type.of_type, path)
        elif isinstance(graphql_type, GraphQLInputObjectType):
            for name, field in graphql_type.fields.items():
                walk(field.type, f"{path}.{name}")
        elif getattr(graphql_type, "name", "") in TEXT_KINDS:
            slots.append(path)

    for name, argument in target.arguments.items():
        walk(argument.type, name)
    return slots


def text_in_slot(target: Target, slot: str, text: str, known: "Known") -> dict:
    """One call with ``text`` in the argument or input field at ``slot``, and every
    other one given a real value of the store where it knows one."""

    def filled(graphql_type, path):
        name = path.rpartition(".")[2]
        is_optional = not isinstance(graphql_type, GraphQLNonNull)
        if is_optional and not slot.startswith(path) and not known.values(target, name):
            # Left out, so that nothing else is refused before the slot is read.
            return None
        graphql_type = _without_non_null(graphql_type)
        if isinstance(graphql_type, GraphQLList):
            return [filled(graphql_type.of_type, path)]
        if isinstance(graphql_type, GraphQLEnumType):
            return sorted(value.name for value in graphql_type.values)[0]
        if isinstance(graphql_type, GraphQLInputObjectType):
            return {
                field_name: filled(field.type, f"{path}.{field_name}")
                for field_name, field in graphql_type.fields.items()
            }
        if graphql_type.name in TEXT_KINDS:
            if path == slot:
                return text
            return known.real(target, name)
        if graphql_type.name == "Boolean":
            return True
        if graphql_type.name == "Int":
            return 1
        return 1.0

    return {name: filled(arg.type, name) for name, arg in target.arguments.items()}


def _without_non_null(graphql_type):
    return (
        graphql_type.of_type
        if isinstance(graphql_type, GraphQLNonNull)
        else graphql_type
    )


# Operations ------------------------------------------------------------------------


def type_reference(graphql_type) -> str:
    return str(graphql_type)


def selection(graphql_type, *, depth: int = 3) -> str:
    """Every field of the result that takes no required argument, ``depth`` levels
    deep, so that the plugin's resolvers of the result run too."""
    named = _named(graphql_type)
    if not isinstance(named, GraphQLObjectType):
        return "" if not hasattr(named, "fields") else "{ __typename }"
    parts = ["__typename"]
    for name, field in sorted(named.fields.items()):
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        inner = _named(field.type)
        if isinstance(inner, GraphQLObjectType):
            if depth > 1 and (
                _is_plugins(inner) or name in {"edges", "node", "errors"}
            ):
                parts.append(f"{name} {selection(inner, depth=depth - 1)}")
        elif not hasattr(inner, "fields"):
            parts.append(name)
    return "{ " + " ".join(parts) + " }"


def operation(target: Target) -> tuple[str, dict[str, str]]:
    """(the GraphQL document of one call of ``target`` with every argument as a
    variable, {variable: type} the mount path needs)."""
    arguments = target.arguments
    variables = {
        f"a_{name}": type_reference(arg.type) for name, arg in arguments.items()
    }
    mount_variables = (
        {}
        if target.parent in {"Query", "Mutation"}
        else dict(MOUNT_VARIABLES.get(target.parent, {}))
    )
    declared = ", ".join(
        f"${name}: {kind}" for name, kind in {**variables, **mount_variables}.items()
    )
    call = target.name
    if arguments:
        call += "(" + ", ".join(f"{name}: $a_{name}" for name in arguments) + ")"
    body = f"{call} {selection(target.field.type)}"
    if target.parent not in {"Query", "Mutation"}:
        body = f"{MOUNT_PATHS[target.parent]} {{ {body} }}"
    kind = "mutation" if target.is_mutation else "query"
    header = f"{kind} Fuzz({declared})" if declared else f"{kind} Fuzz"
    return f"{header} {{ {body} }}", mount_variables


# Properties ------------------------------------------------------------------------

# What a Python traceback or repr looks like in text.
LEAK_MARKERS = (
    "Traceback (most recent call last)",
    'File "/',
    " object at 0x",
    "<saleor",
    "<django",
    "Internal Server Error",
    "stacktrace",
)


def leaks(text: str) -> list[str]:
    return [marker for marker in LEAK_MARKERS if marker in text]


def response_text(response) -> str:
    return response.content.decode("utf-8", "replace")


def decoded(response) -> dict:
    return json.loads(response.content)


def assert_sound(response, *, where: str, argument_names, unhandled_records) -> dict:
    """The properties of every answer: no internal error, no traceback or Python
    repr, and every rejection names what it rejects. Returns the decoded answer."""
    text = response_text(response)
    assert response.status_code in {200, 400}, (where, response.status_code, text[:500])
    assert not leaks(text), (where, leaks(text), text[:2000])
    assert not unhandled_records, (where, [r.getMessage() for r in unhandled_records])
    content = decoded(response)
    for error in content.get("errors") or []:
        code = (error.get("extensions") or {}).get("exception", {}).get("code")
        assert code in HANDLED_CODES, (where, error)
        if code == "PermissionDenied" or error["message"] in SALEORS_OWN_REJECTIONS:
            continue
        assert _names_an_argument(error["message"], argument_names), (where, error)
    for payload in _payloads(content.get("data")):
        for error in payload.get("errors") or []:
            if (error.get("code"), error["message"]) in WHOLE_CALL_REJECTIONS:
                continue
            assert error.get("field"), (where, error)
    return content


# Exceptions Saleor's view answers with their own message (anything else is an
# internal error, logged by Saleor as "A query failed unexpectedly").
HANDLED_CODES = {"GraphQLError", "PermissionDenied", "ValidationError"}
UNHANDLED_LOGGER = "saleor.graphql.errors.unhandled"
# Rejections of a call as a whole, documented so: serviceSurveyAnswer without any
# answer (docs/survey-answers.md, "Answering").
WHOLE_CALL_REJECTIONS = {("REQUIRED", "Give at least one answer.")}
# Saleor's view refuses a request it cannot read (a lone surrogate in its variables)
# before any field runs.
SALEORS_OWN_REJECTIONS = {"Unable to parse query."}


def _names_an_argument(message: str, argument_names) -> bool:
    return any(name in message for name in argument_names)


def _payloads(data):
    """Every object in ``data`` that has an ``errors`` list (mutation payloads,
    ServiceSurveyResult)."""
    if isinstance(data, dict):
        if isinstance(data.get("errors"), list):
            yield data
        for value in data.values():
            yield from _payloads(value)
    elif isinstance(data, list):
        for value in data:
            yield from _payloads(value)


# Profiles: a modest, reproducible one for every run of the Saleor tier, and a
# deep one on demand (HYPOTHESIS_PROFILE=deep bin/test saleor -k fuzz).
settings.register_profile(
    "ci",
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)  # fmt: skip
settings.register_profile(
    "deep",
    max_examples=500,
    derandomize=False,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)  # fmt: skip
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
