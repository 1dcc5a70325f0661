from odoo.exceptions import UserError


class B2bInputError(UserError):
    """Input from a retailer that cannot be accepted as it is.

    ``errors`` lists ``{"path": ..., "message": ...}`` dicts, one per problem, so
    that every channel can tell the sender exactly what to fix: webhooks and the
    API answer them as JSON, CSV drops turn them into an error file.
    """

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__(
            "\n".join(
                f"{error['path']}: {error['message']}"
                if error.get("path")
                else error["message"]
                for error in self.errors
            )
        )


class B2bRefusedError(UserError):
    """The connection may not send this (not connected, no instant ordering)."""
