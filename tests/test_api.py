import base64
import json
from datetime import timedelta
from unittest.mock import patch

import jsonschema
from openapi_spec_validator import validate as validate_openapi

from odoo import fields, sql_db
from odoo.tests import HttpCase, new_test_user, tagged

from ..tools import api_schema
from .channels_common import conflict_on_first_call, request_data
from .shipping_common import B2bShippingCommon

PROBLEM = "application/problem+json"


class B2bApiCommon(B2bShippingCommon, HttpCase):
    """Two retailers, each with a portal user holding an API key; retailer one
    has a request, an answered request, an order and a shipped order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("b2b_dropship.api_settle_seconds", "0")
        cls.portal_user.b2b_is_admin = True
        cls.key_a = cls._api_key(cls.portal_user)
        cls.retailer_b = cls.env["res.partner"].create(
            {"name": "Retailer Two", "is_company": True}
        )
        cls.connection_b = cls.env["b2b.connection"].create(
            {
                "name": "Retailer Two",
                "code": "retailer-two",
                "partner_id": cls.retailer_b.id,
                "state": "connected",
            }
        )
        cls.user_b = new_test_user(
            cls.env,
            login="bob",
            groups="base.group_portal",
            partner_id=cls.env["res.partner"]
            .create({"name": "Bob", "parent_id": cls.retailer_b.id})
            .id,
        )
        cls.key_b = cls._api_key(cls.user_b)
        cls.open_request = cls._create_request("A-OPEN")
        cls.answered = cls._create_request("A-ANSWERED")
        cls._answer_all(cls.answered)
        cls.order = cls._create_order("A-ORDER")
        cls.shipped = cls._create_order("A-SHIPPED")
        cls.other = cls._create_request("B-OPEN", connection=cls.connection_b)
        cls.document = api_schema.openapi_document()

    @classmethod
    def _api_key(cls, user):
        return (
            cls.env["res.users.apikeys"]
            .with_user(user)
            ._generate(None, "Order system", fields.Datetime.now() + timedelta(days=60))
        )

    @classmethod
    def _answer_all(cls, order):
        for line in order.order_line:
            line.b2b_qty_available = line.product_uom_qty
        order.with_user(cls.b2b_user).action_b2b_answer()

    def _call(self, method, path, key=None, body=None, raw=None, **kwargs):
        headers = (
            {"Authorization": f"Bearer {key or self.key_a}"} if key is not False else {}
        )
        if body is not None or raw is not None:
            headers["Content-Type"] = "application/json"
            kwargs["data"] = raw if raw is not None else json.dumps(body)
        return self.opener.request(
            method, self.base_url() + path, headers=headers, timeout=30, **kwargs
        )

    def _assert_schema(self, body, name):
        jsonschema.validate(
            body, {"$ref": f"#/components/schemas/{name}", **self.document}
        )

    def _assert_problem(self, response, status):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.headers["Content-Type"], PROBLEM)
        problem = response.json()
        self._assert_schema(problem, "Problem")
        self.assertEqual(problem["status"], status)
        return problem

    def _references(self, response):
        return [order["reference"] for order in response.json()["orders"]]


@tagged("post_install", "-at_install")
class TestApi(B2bApiCommon):
    def test_calls_without_a_valid_key_answer_401_problems(self):
        for key in (False, "not-a-key"):
            response = self._call("GET", "/b2b/v1/orders", key=key)
            problem = self._assert_problem(response, 401)
            self.assertIn("Bearer", problem["detail"])
            self.assertEqual(response.headers["WWW-Authenticate"], "Bearer")

    def test_list_shows_the_callers_company_only(self):
        response = self._call("GET", "/b2b/v1/orders")
        self.assertEqual(response.status_code, 200, response.text)
        self._assert_schema(response.json(), "OrderList")
        self.assertEqual(
            sorted(self._references(response)),
            ["A-ANSWERED", "A-OPEN", "A-ORDER", "A-SHIPPED"],
        )
        response = self._call("GET", "/b2b/v1/orders", key=self.key_b)
        self.assertEqual(self._references(response), ["B-OPEN"])

    def test_one_order_with_lines_answers_and_shipments(self):
        self._ship(
            self.shipped,
            carrier_id=self.carrier_tracked.id,
            tracking_ref="TRK-1, TRK-2",
        )
        response = self._call("GET", "/b2b/v1/orders/A-SHIPPED")
        self.assertEqual(response.status_code, 200, response.text)
        order = response.json()
        self._assert_schema(order, "Order")
        self.assertEqual(
            (order["reference"], order["name"]), ("A-SHIPPED", self.shipped.name)
        )
        self.assertEqual(
            [line["sku"] for line in order["lines"]], ["CHAIR-01", "TABLE-01"]
        )
        self.assertEqual(order["lines"][0]["retailer_sku"], "R1-CHAIR")
        shipment = order["shipments"][0]
        self.assertEqual(shipment["carrier"], "Parcel Express")
        self.assertEqual(
            shipment["tracking"],
            [
                {"reference": "TRK-1", "url": "https://track.example/parcel?ref=TRK-1"},
                {"reference": "TRK-2", "url": "https://track.example/parcel?ref=TRK-2"},
            ],
        )
        self.assertEqual(
            {line["sku"]: line["quantity"] for line in shipment["lines"]},
            {"CHAIR-01": 5, "TABLE-01": 2},
        )
        response = self._call("GET", "/b2b/v1/orders/A-ANSWERED")
        self.assertEqual(response.json()["lines"][0]["available_quantity"], 5)

    def test_tracking_corrected_after_shipping_is_a_change_of_the_order(self):
        self._ship(
            self.shipped, carrier_id=self.carrier_tracked.id, tracking_ref="TRK-1"
        )
        picking = self.shipped.picking_ids.filtered(lambda p: p.state == "done")
        long_ago = fields.Datetime.now() - timedelta(days=1)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE sale_order SET write_date = %s WHERE id = %s",
            (long_ago, self.shipped.id),
        )
        self.env.invalidate_all()
        picking.with_user(self.b2b_user).note = "Left at the back door"
        self.env.flush_all()
        self.assertEqual(self.shipped.write_date, long_ago)
        picking.with_user(self.b2b_user).carrier_tracking_ref = "TRK-9"
        self.env.flush_all()
        self.assertGreater(self.shipped.write_date, long_ago)
        response = self._call(
            "GET",
            "/b2b/v1/orders",
            params={"updated_after": (long_ago + timedelta(hours=1)).isoformat()},
        )
        [order] = [
            o for o in response.json()["orders"] if o["reference"] == "A-SHIPPED"
        ]
        self.assertEqual(order["shipments"][0]["tracking"][0]["reference"], "TRK-9")

    def test_another_retailers_order_is_not_found(self):
        problem = self._assert_problem(self._call("GET", "/b2b/v1/orders/B-OPEN"), 404)
        self.assertIn("B-OPEN", problem["detail"])
        self._assert_problem(
            self._call("POST", "/b2b/v1/orders/B-OPEN/cancel", body={"reason": "x"}),
            404,
        )
        self.assertEqual(self.other.b2b_state, "request")

    def test_orders_followed_but_of_another_retailer_are_not_the_callers(self):
        # retailer two is a subsidiary of retailer one, which follows its
        # request: Odoo's portal rule on quotations lets retailer one read it,
        # the API still keeps to retailer one's own
        self.retailer_b.parent_id = self.retailer
        self.other.message_subscribe(partner_ids=self.retailer.ids)
        self.assertTrue(self.other.with_user(self.portal_user).has_access("read"))
        response = self._call("GET", "/b2b/v1/orders")
        self.assertEqual(
            sorted(self._references(response)),
            ["A-ANSWERED", "A-OPEN", "A-ORDER", "A-SHIPPED"],
        )
        self._assert_problem(self._call("GET", "/b2b/v1/orders/B-OPEN"), 404)
        self._assert_problem(
            self._call("POST", "/b2b/v1/orders/B-OPEN/cancel", body={"reason": "x"}),
            404,
        )
        self.assertEqual(self.other.b2b_state, "request")

    def test_cursor_pages_through_everything_and_changed_orders_come_again(self):
        seen, cursor = [], None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            response = self._call("GET", "/b2b/v1/orders", params=params)
            page = response.json()
            seen += [order["reference"] for order in page["orders"]]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        self.assertEqual(sorted(seen), ["A-ANSWERED", "A-OPEN", "A-ORDER", "A-SHIPPED"])
        self.assertEqual(len(seen), 4)
        # nothing changed: the last cursor gives nothing more
        response = self._call("GET", "/b2b/v1/orders", params={"cursor": cursor})
        self.assertEqual(
            response.json(), {"orders": [], "next_cursor": cursor, "has_more": False}
        )
        # an order already read changes: it comes again after the cursor, once
        self.open_request.b2b_note = "Please call before delivering"
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE sale_order SET write_date = write_date + interval '1 second' "
            "WHERE id = %s",
            [self.open_request.id],
        )
        self.env.invalidate_all()
        response = self._call("GET", "/b2b/v1/orders", params={"cursor": cursor})
        self.assertEqual(self._references(response), ["A-OPEN"])
        self.assertEqual(
            response.json()["orders"][0]["note"], "Please call before delivering"
        )

    def test_filters_by_state_and_period(self):
        response = self._call("GET", "/b2b/v1/orders", params={"state": "answered"})
        self.assertEqual(self._references(response), ["A-ANSWERED"])
        updated = self.answered.write_date
        before = (updated - timedelta(seconds=1)).isoformat() + "Z"
        after = (updated + timedelta(seconds=1)).isoformat() + "+00:00"
        self.assertEqual(
            self._references(
                self._call("GET", "/b2b/v1/orders", params={"updated_before": before})
            ),
            [],
        )
        self.assertEqual(
            self._references(
                self._call("GET", "/b2b/v1/orders", params={"updated_after": after})
            ),
            [],
        )
        response = self._call(
            "GET",
            "/b2b/v1/orders",
            params={
                "updated_after": before,
                "updated_before": after,
                "state": "answered",
            },
        )
        self.assertEqual(self._references(response), ["A-ANSWERED"])

    def test_invalid_parameters_answer_422_with_every_problem(self):
        response = self._call(
            "GET",
            "/b2b/v1/orders",
            params={
                "state": "lost",
                "limit": "0",
                "cursor": "garbage",
                "updated_after": "yesterday",
            },
        )
        problem = self._assert_problem(response, 422)
        self.assertEqual(
            sorted(error["path"] for error in problem["errors"]),
            ["cursor", "limit", "state", "updated_after"],
        )

    def test_references_with_slashes_are_addressable(self):
        response = self._call(
            "POST", "/b2b/v1/requests", body=request_data("PO/2025/001")
        )
        self.assertEqual(response.status_code, 201, response.text)
        for path in ("PO%2F2025%2F001", "PO/2025/001"):
            response = self._call("GET", f"/b2b/v1/orders/{path}")
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(response.json()["reference"], "PO/2025/001")
        response = self._call(
            "POST",
            "/b2b/v1/orders/PO%2F2025%2F001/cancel",
            body={"reason": "Ordered twice"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["state"], "cancelled")

    def test_errors_before_the_controllers_are_problems_too(self):
        # no such route, a method the route does not take, a form body over
        # the route's limit: refused by Odoo's routing, answered as problems
        problem = self._assert_problem(self._call("GET", "/b2b/v1/nothing"), 404)
        self.assertIn("openapi.json", problem["detail"])
        response = self._call("GET", "/b2b/v1/requests")
        problem = self._assert_problem(response, 405)
        self.assertTrue(problem["detail"].startswith("Use POST here"))
        self.assertEqual(response.headers["Allow"], "OPTIONS, POST")
        response = self.opener.post(
            self.base_url() + "/b2b/v1/requests",
            headers={"Authorization": f"Bearer {self.key_a}"},
            data={"note": "x" * (2 * 1024 * 1024)},
            timeout=30,
        )
        problem = self._assert_problem(response, 413)
        self.assertIn("1 MiB", problem["detail"])
        response = self.opener.post(
            self.base_url() + "/b2b/v1/files",
            headers={"Authorization": f"Bearer {self.key_a}"},
            files={"file": ("big.csv", b"x" * (api_schema.MAX_FILE_BODY_SIZE + 1))},
            timeout=60,
        )
        problem = self._assert_problem(response, 413)
        self.assertIn("16 MiB", problem["detail"])
        # elsewhere, Odoo's own pages
        response = self.url_open("/b2b/nothing")
        self.assertEqual(response.status_code, 404)
        self.assertIn("text/html", response.headers["Content-Type"])

    def test_forged_cursors_answer_422(self):
        # well-formed but not made by the API: a time zone PostgreSQL refuses,
        # another one, a padded id
        for text in (
            "2025-01-01T00:00:00+23:59|1",
            "2025-01-01T00:00:00+02:00|1",
            "2025-01-01T00:00:00| 1",
        ):
            cursor = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
            problem = self._assert_problem(
                self._call("GET", "/b2b/v1/orders", params={"cursor": cursor}), 422
            )
            self.assertEqual([error["path"] for error in problem["errors"]], ["cursor"])

    def test_text_that_cannot_be_stored_answers_422(self):
        # half of a surrogate pair, escaped in JSON: not text, refused before
        # it reaches the database
        for path, raw in (
            (
                "/b2b/v1/requests",
                json.dumps(request_data("S-1"))[:-1] + ', "note": "\\ud800"}',
            ),
            ("/b2b/v1/orders/A-OPEN/cancel", '{"reason": "\\udfff"}'),
        ):
            problem = self._assert_problem(self._call("POST", path, raw=raw), 422)
            self.assertIn("surrogate", problem["errors"][0]["message"])
        self.assertEqual(self.open_request.b2b_state, "request")

    def test_changes_wait_for_transactions_still_running(self):
        # a transaction began a while ago and is still running: when it
        # commits, its changes are dated from its start, so nothing changed
        # since may be listed (the cursor would pass them). It has its own
        # connection: the registry's cursors are the test's one here.
        with sql_db.db_connect(self.env.cr.dbname).cursor() as running:
            running.execute("SELECT now() AT TIME ZONE 'UTC'")
            started = running.fetchone()[0]
            self.env.cr.execute(
                "UPDATE sale_order SET write_date = %s WHERE id = %s",
                (started + timedelta(seconds=5), self.answered.id),
            )
            self.env.invalidate_all()
            Order = self.env["sale.order"].with_user(self.portal_user)
            # the page is asked for 20 seconds after that start
            with patch.object(
                type(self.env.cr), "now", return_value=started + timedelta(seconds=20)
            ):
                _status, page = Order._b2b_api_list({})
                self.assertNotIn(
                    "A-ANSWERED", [order["reference"] for order in page["orders"]]
                )
                self.assertEqual(len(page["orders"]), 3)
                running.rollback()
                _status, page = Order._b2b_api_list({})
        self.assertIn("A-ANSWERED", [order["reference"] for order in page["orders"]])

    def test_recent_changes_wait_for_the_settle_window(self):
        self.env["ir.config_parameter"].set_param(
            "b2b_dropship.api_settle_seconds", "3600"
        )
        self.assertEqual(self._references(self._call("GET", "/b2b/v1/orders")), [])
        self.assertEqual(self._call("GET", "/b2b/v1/orders/A-OPEN").status_code, 200)

    def test_post_request_creates_a_request(self):
        response = self._call("POST", "/b2b/v1/requests", body=request_data("API-1"))
        self.assertEqual(response.status_code, 201, response.text)
        created = response.json()
        self._assert_schema(created, "Order")
        self.assertEqual((created["reference"], created["state"]), ("API-1", "request"))
        order = self.env["sale.order"].search([("client_order_ref", "=", "API-1")])
        self.assertEqual(
            (order.b2b_connection_id, len(order.order_line)), (self.connection, 3)
        )
        self.assertTrue(created["answer_deadline"])
        # the same reference again is refused
        problem = self._assert_problem(
            self._call("POST", "/b2b/v1/requests", body=request_data("API-1")), 422
        )
        self.assertEqual(problem["errors"][0]["path"], "reference")

    def test_post_request_replayed_after_a_concurrency_conflict(self):
        # Odoo replays a request whose transaction met a concurrent one: the
        # replay reads the same body again
        with conflict_on_first_call(
            type(self.env["b2b.connection"]), "_b2b_api_create_request"
        ) as calls:
            response = self._call(
                "POST", "/b2b/v1/requests", body=request_data("API-REPLAY")
            )
        self.assertEqual(len(calls), 2)
        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(
            len(
                self.env["sale.order"].search([("client_order_ref", "=", "API-REPLAY")])
            ),
            1,
        )

    def test_keys_of_internal_users_are_refused(self):
        # an internal user may read every retailer's orders without being
        # allowed to change them: the API is the retailers'
        key = self._api_key(self.b2b_user)
        for method, path, body in (
            ("GET", "/b2b/v1/orders", None),
            ("GET", "/b2b/v1/orders/A-ORDER", None),
            ("POST", "/b2b/v1/orders/A-ORDER/cancel", {"reason": "Not ours"}),
            ("POST", "/b2b/v1/orders/A-OPEN/reopen", None),
            ("POST", "/b2b/v1/requests", request_data("API-INTERNAL")),
        ):
            with self.subTest(method=method, path=path):
                problem = self._assert_problem(
                    self._call(method, path, key=key, body=body), 403
                )
                self.assertIn("portal user", problem["detail"])
        self.assertEqual(self.order.b2b_state, "order")
        self.assertFalse(
            self.env["sale.order"].search([("client_order_ref", "=", "API-INTERNAL")])
        )

    def test_post_request_lists_every_problem(self):
        data = request_data(
            "API-2",
            lines=[{"sku": "CHAIR-01", "quantity": -1}, {"sku": "NOPE", "quantity": 1}],
        )
        del data["ship_to"]["city"]
        problem = self._assert_problem(
            self._call("POST", "/b2b/v1/requests", body=data), 422
        )
        self.assertEqual(
            sorted(error["path"] for error in problem["errors"]),
            ["lines[0].quantity", "ship_to.city"],
        )
        problem = self._assert_problem(
            self._call("POST", "/b2b/v1/requests", raw="{not json"), 422
        )
        self.assertIn("not valid JSON", problem["errors"][0]["message"])
        self.assertFalse(
            self.env["sale.order"].search([("client_order_ref", "=", "API-2")])
        )

    def test_suspended_connection_refuses_requests_with_403(self):
        self.connection.action_suspend()
        problem = self._assert_problem(
            self._call("POST", "/b2b/v1/requests", body=request_data("API-3")), 403
        )
        self.assertIn("suspended", problem["detail"].lower())

    def test_confirm_reopen_and_cancel(self):
        response = self._call("POST", "/b2b/v1/orders/A-ANSWERED/confirm")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["state"], "order")
        self.assertEqual(self.answered.b2b_state, "order")
        problem = self._assert_problem(
            self._call("POST", "/b2b/v1/orders/A-OPEN/confirm"), 409
        )
        self.assertIn("cannot be turned into an order", problem["detail"])
        self.open_request.b2b_state = "expired"
        response = self._call("POST", "/b2b/v1/orders/A-OPEN/reopen")
        self.assertEqual(
            (response.status_code, response.json()["state"]), (200, "request")
        )
        problem = self._assert_problem(
            self._call("POST", "/b2b/v1/orders/A-OPEN/cancel", body={"reason": " "}),
            422,
        )
        self.assertEqual(problem["errors"][0]["path"], "reason")
        response = self._call(
            "POST",
            "/b2b/v1/orders/A-OPEN/cancel",
            body={"reason": "Customer cancelled"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["cancel_reason"], "Customer cancelled")
        self.assertEqual(self.open_request.b2b_state, "cancelled")

    def test_failed_action_changes_nothing(self):
        # a refused conversion leaves the answered request as it was
        self.answered.order_line.b2b_qty_available = 0
        problem = self._assert_problem(
            self._call("POST", "/b2b/v1/orders/A-ANSWERED/confirm"), 409
        )
        self.assertIn("nothing to order", problem["detail"])
        self.assertEqual(self.answered.b2b_state, "answered")
        self.assertEqual(self.answered.order_line.mapped("product_uom_qty"), [5, 2])

    def test_csv_upload_goes_through_the_file_pipeline(self):
        content = (
            b"order_reference,ship_to_name,ship_to_street,ship_to_city,ship_to_zip,ship_to_country,sku,quantity\r\n"
            b"CSV-1,Jane Customer,1 rue de Rivoli,Paris,75001,FR,CHAIR-01,2\r\n"
            b"CSV-1,Jane Customer,1 rue de Rivoli,Paris,75001,FR,TABLE-01,1\r\n"
        )
        response = self._call(
            "POST", "/b2b/v1/files", files={"file": ("order.csv", content, "text/csv")}
        )
        self.assertEqual(response.status_code, 201, response.text)
        self._assert_schema(response.json(), "FileDrop")
        self.assertEqual(
            response.json(),
            {
                "name": "order.csv",
                "state": "imported",
                "reference": "CSV-1",
                "errors": [],
            },
        )
        drop = self.env["b2b.file.drop"].search([("name", "=", "order.csv")])
        self.assertEqual(
            (drop.source, drop.order_id.client_order_ref), ("api", "CSV-1")
        )
        response = self._call(
            "POST", "/b2b/v1/files", files={"file": ("again.csv", content, "text/csv")}
        )
        self.assertEqual(
            (response.status_code, response.json()["state"]), (200, "duplicate")
        )
        broken = content.replace(b"CHAIR-01,2", b"CHAIR-01,two")
        problem = self._assert_problem(
            self._call(
                "POST",
                "/b2b/v1/files",
                files={
                    "file": (
                        "broken.csv",
                        broken.replace(b"CSV-1", b"CSV-2"),
                        "text/csv",
                    )
                },
            ),
            422,
        )
        self.assertEqual(problem["errors"][0]["path"], "row 2, quantity")
        self.assertFalse(
            self.env["sale.order"].search([("client_order_ref", "=", "CSV-2")])
        )
        problem = self._assert_problem(
            self._call("POST", "/b2b/v1/files", data={"file": "not a file"}), 422
        )
        self.assertEqual(problem["errors"][0]["path"], "file")

    def test_openapi_document_is_served_and_valid(self):
        response = self.url_open("/b2b/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        document = response.json()
        self.assertEqual(document["servers"], [{"url": self.base_url()}])
        validate_openapi(document)

    def test_portal_users_may_create_keys_of_90_days(self):
        self.assertTrue(
            self.env["ir.config_parameter"].get_param("portal.allow_api_keys")
        )
        key = (
            self.env["res.users.apikeys"]
            .with_user(self.user_b)
            ._generate(None, "Long key", fields.Datetime.now() + timedelta(days=89))
        )
        self.assertEqual(
            self.env["res.users.apikeys"]._check_credentials(scope="rpc", key=key),
            self.user_b.id,
        )
