"""The OpenAPI document against the running API, by schemathesis.

Every operation of ``/b2b/v1/openapi.json`` is called with requests that
schemathesis derives from the document (valid and invalid parameters and
bodies), as a retailer's portal user with an API key, on the test server.
No answer may be a server error, and every answer must be documented: its
status code, its content type and its body's schema.
"""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from odoo.tests import tagged

from ..tools import api_schema
from .test_api import B2bApiCommon

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 25


@tagged("post_install", "-at_install")
class TestApiSchemathesis(B2bApiCommon):
    def test_every_operation_answers_as_documented(self):
        response = self.url_open("/b2b/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), api_schema.openapi_document(self.base_url()))
        schema = schemathesis.openapi.from_dict(response.json())
        operations = [result.ok() for result in schema.get_all_operations()]
        self.assertEqual(len(operations), 8)
        calls = {}
        for operation in operations:
            with self.subTest(operation=operation.label):
                calls[operation.label] = self._exercise(operation)
        # each operation was really called, not skipped
        self.assertTrue(all(count >= 5 for count in calls.values()), calls)

    def _exercise(self, operation):
        count = 0

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case):
            nonlocal count
            response = case.call(
                base_url=self.base_url(),
                session=self.opener,
                headers={"Authorization": f"Bearer {self.key_a}"},
                timeout=30,
            )
            count += 1
            case.validate_response(response, checks=CHECKS)

        call()
        return count
