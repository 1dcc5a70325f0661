"""Read the structure of an Odoo domain without Odoo.

A domain is a list in prefix notation: leaves ``(field, operator, value)``
combined by ``'&'``, ``'|'`` and ``'!'``, with an implicit ``'&'`` between
the top-level expressions.
"""

AND, OR, NOT = "&", "|", "!"


def _parse(domain, index):
    """Return (node, next index) for the expression starting at ``index``."""
    if index >= len(domain):
        raise ValueError("Incomplete domain: an operator lacks its operands")
    item = domain[index]
    if item in (AND, OR):
        left, index = _parse(domain, index + 1)
        right, index = _parse(domain, index)
        return (item, left, right), index
    if item == NOT:
        operand, index = _parse(domain, index + 1)
        return (NOT, operand), index
    if isinstance(item, list | tuple) and len(item) == 3:
        return ("leaf", tuple(item)), index + 1
    raise ValueError(f"Not a domain term: {item!r}")


def and_terms(domain):
    """The leaves every matching record satisfies: those joined by AND at the top.

    ``['&', A, '|', B, C]`` gives ``[A]``; ``[A, B]`` gives ``[A, B]``.
    Leaves under an OR or a NOT are left out: they do not hold for every record.
    """
    domain = list(domain or [])
    nodes = []
    index = 0
    while index < len(domain):
        node, index = _parse(domain, index)
        nodes.append(node)
    terms = []
    while nodes:
        node = nodes.pop(0)
        if node[0] == "leaf":
            terms.append(node[1])
        elif node[0] == AND:
            nodes[:0] = [node[1], node[2]]
    return terms


def requires_value(domain, field, values):
    """Whether every record matching ``domain`` has ``field`` in ``values``.

    Judged on the top-level AND terms only (``=`` and ``in``), so a False
    answer means "not shown by the domain's shape", not "proved false".
    """
    values = set(values)
    for name, operator, value in and_terms(domain):
        if name != field:
            continue
        if operator == "=" and value in values:
            return True
        if (
            operator == "in"
            and isinstance(value, list | tuple)
            and value
            and set(value) <= values
        ):
            return True
    return False
