"""A small JSON Schema validator for the bodies retailers send.

It reads the subset of JSON Schema (2020-12) the addon's schemas use (see
``api_schema``): ``type`` (one name or a list), ``properties``,
``required``, ``additionalProperties`` (true, false or a schema), ``items``,
``minItems``, ``maxItems``, ``minLength``, ``maxLength``, ``pattern``,
``enum``, ``minimum``, ``maximum``, ``exclusiveMinimum``,
``exclusiveMaximum``, and ignores the annotations (``title``,
``description``, ``examples``, ``format``, ``$comment``). The same schemas
are published in the OpenAPI document, so what is documented is what is
checked.

Unlike a general validator, :func:`validate` reports every problem as
``{"path": "lines[0].quantity", "message": ...}``, in the path style of
``b2b.connection._b2b_receive``, so a retailer gets one list of errors
whatever found them. It also refuses what the database cannot store: text
holding the NUL character, and numbers that are not finite.

:func:`loads` parses a request body into JSON values, turning every way a
body can be unreadable (bytes that are not UTF-8, JSON syntax, ``NaN``,
nesting too deep) into one :class:`JsonBodyError`.

Pure Python: nothing here imports Odoo.
"""

import json
import math
import re

# Nesting depth of a body beyond which it is refused before Python's own
# recursion limit is reached (bodies are at most 1 MiB).
MAX_DEPTH = 32

_TYPE_NAMES = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


class JsonBodyError(ValueError):
    """The body is not a JSON document the addon can read."""


def _refuse_constant(name):
    raise JsonBodyError(f"{name} is not a JSON number.")


def _depth(value):
    """Depth of nested objects and lists, without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def loads(body, max_depth=MAX_DEPTH):
    """Parse a request body (bytes or text) into JSON values.

    :raise JsonBodyError: with a message fit for the sender, when the body is
        not UTF-8, not JSON, holds ``NaN`` or ``Infinity``, or is nested more
        than ``max_depth`` levels.
    """
    if isinstance(body, bytes | bytearray | memoryview):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError as error:
            raise JsonBodyError(
                f"The body is not UTF-8 text (invalid byte at position {error.start})."
            ) from None
    if body.startswith("\ufeff"):
        body = body[1:]
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
    except JsonBodyError:
        raise
    except RecursionError:
        raise JsonBodyError(
            f"The body is nested more than {max_depth} levels deep."
        ) from None
    except ValueError as error:
        message = getattr(error, "msg", None) or "invalid JSON"
        position = getattr(error, "pos", None)
        where = f" at position {position}" if position is not None else ""
        raise JsonBodyError(f"The body is not valid JSON: {message}{where}.") from None
    if _depth(value) > max_depth:
        raise JsonBodyError(f"The body is nested more than {max_depth} levels deep.")
    # JSON lets "\ud800" escape half of a character: such text cannot be
    # stored, so it is refused here rather than failing wherever it goes
    if _SURROGATE_ESCAPE.search(body) and _has_lone_surrogate(value):
        raise JsonBodyError(
            "The body holds half of a UTF-16 surrogate pair (an escape such as "
            "\\ud800 without its other half), which is not text."
        )
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value):
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _join(path, key):
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _type_of(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _has_type(value, name):
    kind = _type_of(value)
    if name == "number":
        return kind in ("integer", "number")
    if name == "integer":
        return kind == "integer" or (
            kind == "number" and math.isfinite(value) and value == int(value)
        )
    return kind == name


def _type_message(expected):
    names = [_TYPE_NAMES.get(name, name) for name in expected if name != "null"]
    text = " or ".join(names) if names else "null"
    if "null" in expected and names:
        text += " (or null)"
    return f"This field must be {text}."


def validate(value, schema, path=""):
    """Return the list of ``{"path", "message"}`` problems of ``value``.

    An empty list means ``value`` is valid. Every problem is reported, not
    only the first; below a value of the wrong type nothing more is checked.
    """
    errors = []
    _validate(value, schema, path, errors)
    return errors


def _validate(value, schema, path, errors):
    if schema is True or schema is None:
        return
    if schema is False:
        errors.append({"path": path, "message": "This field is not allowed."})
        return
    expected = schema.get("type")
    if expected is not None:
        expected = [expected] if isinstance(expected, str) else list(expected)
        if not any(_has_type(value, name) for name in expected):
            errors.append({"path": path, "message": _type_message(expected)})
            return
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(json.dumps(choice) for choice in schema["enum"])
        errors.append(
            {"path": path, "message": f"This field must be one of {choices}."}
        )
        return
    if isinstance(value, str):
        _validate_string(value, schema, path, errors)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _validate_number(value, schema, path, errors)
    elif isinstance(value, list):
        _validate_array(value, schema, path, errors)
    elif isinstance(value, dict):
        _validate_object(value, schema, path, errors)


def _validate_string(value, schema, path, errors):
    if "\x00" in value:
        errors.append(
            {"path": path, "message": "This field must not contain the NUL character."}
        )
        return
    if "minLength" in schema and len(value) < schema["minLength"]:
        if schema["minLength"] == 1:
            message = "This field must not be empty."
        else:
            message = (
                f"This field must be at least {schema['minLength']} characters long."
            )
        errors.append({"path": path, "message": message})
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append(
            {
                "path": path,
                "message": (
                    f"This field must be at most {schema['maxLength']} characters "
                    "long."
                ),
            }
        )
    if "pattern" in schema and not re.search(schema["pattern"], value):
        message = (
            schema.get("x-pattern-message")
            or "This field does not have the expected form."
        )
        errors.append({"path": path, "message": message})


def _validate_number(value, schema, path, errors):
    # integers are exact at any size (math.isfinite overflows on large ones)
    if isinstance(value, float) and not math.isfinite(value):
        errors.append({"path": path, "message": "This field must be a finite number."})
        return
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(
            {
                "path": path,
                "message": f"This field must be at least {schema['minimum']}.",
            }
        )
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        errors.append(
            {
                "path": path,
                "message": (
                    f"This field must be greater than {schema['exclusiveMinimum']}."
                ),
            }
        )
    if "maximum" in schema and value > schema["maximum"]:
        errors.append(
            {
                "path": path,
                "message": f"This field must be at most {schema['maximum']}.",
            }
        )
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        errors.append(
            {
                "path": path,
                "message": (
                    f"This field must be less than {schema['exclusiveMaximum']}."
                ),
            }
        )


def _validate_array(value, schema, path, errors):
    if "minItems" in schema and len(value) < schema["minItems"]:
        if schema["minItems"] == 1:
            message = "At least one item is required."
        else:
            message = f"At least {schema['minItems']} items are required."
        errors.append({"path": path, "message": message})
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(
            {
                "path": path,
                "message": f"At most {schema['maxItems']} items are allowed.",
            }
        )
        return
    items = schema.get("items")
    if items is not None:
        for index, item in enumerate(value):
            _validate(item, items, _join(path, index), errors)


def _validate_object(value, schema, path, errors):
    properties = schema.get("properties", {})
    for key in schema.get("required", ()):
        if key not in value:
            errors.append(
                {"path": _join(path, key), "message": "This field is required."}
            )
    additional = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            _validate(item, properties[key], _join(path, key), errors)
        elif additional is False:
            errors.append(
                {"path": _join(path, key), "message": "This field is not allowed."}
            )
        else:
            _validate(item, additional, _join(path, key), errors)
