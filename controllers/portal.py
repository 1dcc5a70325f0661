import re
from collections import OrderedDict
from datetime import datetime, timedelta

from werkzeug.exceptions import Forbidden, NotFound

from odoo import _, fields, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.osv import expression
from odoo.tools import email_normalize, email_split

from odoo.addons.portal.controllers import portal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..exceptions import B2bInputError, B2bRefusedError
from ..tools import api_schema

PACKING_SLIP_REPORT = "b2b_dropship.action_report_packing_slip"
INVOICE_REPORT = "account.account_invoices"
NEW_REQUEST_MIN_ROWS = 3
NEW_REQUEST_MAX_ROWS = 200
LINE_ERROR_PATH = re.compile(r"^lines\[(\d+)\](?:\.(\w+))?$")


class B2bCustomerPortal(portal.CustomerPortal):
    """The retailer's portal: cockpit, requests, orders, documents, files,
    connection, credentials and team, under ``/my/b2b``.

    Access is decided by the record rules of the portal user; records are
    read with ``sudo()`` only once ``_document_check_access`` returned them,
    and only to show what the retailer may see.
    """

    # Helpers --------------------------------------------------------------

    def _b2b_connections(self):
        """The connections of the user's company, the connected one first
        (record rules: a portal user reads its own company's only)."""
        user = request.env.user
        if not user._is_portal():
            return request.env["b2b.connection"]
        connections = request.env["b2b.connection"].search(
            [("partner_id", "=", user.commercial_partner_id.id)]
        )
        return connections.sorted(lambda c: (c.state != "connected", c.id))

    def _b2b_connection(self):
        return self._b2b_connections()[:1]

    def _b2b_is_admin(self):
        return bool(request.env.user._is_portal() and request.env.user.b2b_is_admin)

    def _b2b_check_admin(self):
        """Administrators' pages: anyone else gets the portal's 403 page."""
        if not self._b2b_connection() or not self._b2b_is_admin():
            raise Forbidden()

    def _b2b_values(self, page_name, **values):
        connection = self._b2b_connection()
        result = self._prepare_portal_layout_values()
        result.update(
            page_name=page_name,
            b2b_connection=connection.sudo(),
            b2b_is_admin=self._b2b_is_admin(),
            b2b_has_files="b2b.file.drop" in request.env,
            b2b_has_events="b2b.event" in request.env,
        )
        result.update(values)
        return result

    def _b2b_order_check_access(self, order_id, kind=None):
        """The B2B request or order ``order_id`` of the user's company, sudoed.

        Raises NotFound for what does not exist or is not a B2B document of
        the user's connections, Forbidden for what its rules do not let it read.
        Access tokens are not honoured here: these pages are for the
        retailer's team, signed in.
        """
        try:
            order_sudo = self._document_check_access("sale.order", order_id)
        except MissingError as error:
            raise NotFound() from error
        except AccessError as error:
            raise Forbidden() from error
        if order_sudo.b2b_connection_id not in self._b2b_connections().sudo():
            raise NotFound()
        # Act as the retailer's user (author of messages, "the retailer
        # cancelled"), still without access checks on what it may not read.
        order_sudo = order_sudo.with_user(request.env.user).sudo()
        if kind and (kind == "orders") != order_sudo._b2b_is_order():
            return order_sudo, False
        return order_sudo, True

    def _b2b_scope_domain(self, kind):
        return expression.AND(
            [
                request.env["sale.order"]._b2b_portal_domain(kind),
                [("b2b_connection_id", "in", self._b2b_connections().ids)],
            ]
        )

    def _b2b_list(
        self, kind, url, page, sortby, filterby, search, search_in, sortings, filters
    ):
        SaleOrder = request.env["sale.order"]
        domain = self._b2b_scope_domain(kind)
        sortby = sortby if sortby in sortings else next(iter(sortings))
        filterby = filterby if filterby in filters else "all"
        domain = expression.AND([domain, filters[filterby]["domain"]])
        searchbar_inputs = {
            "reference": {"input": "reference", "label": _("Search in References")},
            "product": {"input": "product", "label": _("Search in Products")},
        }
        search_in = search_in if search_in in searchbar_inputs else "reference"
        if search:
            if search_in == "product":
                # Line descriptions carry our reference: "[CHAIR-01] Garden Chair".
                domain = expression.AND(
                    [domain, [("order_line.name", "ilike", search)]]
                )
            else:
                domain = expression.AND(
                    [
                        domain,
                        [
                            "|",
                            ("client_order_ref", "ilike", search),
                            ("name", "ilike", search),
                        ],
                    ]
                )
        count = SaleOrder.search_count(domain)
        pager = portal_pager(
            url=url,
            url_args={
                "sortby": sortby,
                "filterby": filterby,
                "search": search,
                "search_in": search_in,
            },
            total=count,
            page=page,
            step=self._items_per_page,
        )
        orders = SaleOrder.search(
            domain,
            order=sortings[sortby]["order"],
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        request.session[f"my_b2b_{kind}_history"] = orders.ids[:100]
        return {
            "orders": orders,
            "pager": pager,
            "default_url": url,
            "searchbar_sortings": sortings,
            "sortby": sortby,
            "searchbar_filters": OrderedDict(filters),
            "filterby": filterby,
            "searchbar_inputs": searchbar_inputs,
            "search_in": search_in,
            "search": search,
        }

    def _b2b_webhook_url(self, connection_sudo):
        if "webhook_endpoint_url" in connection_sudo._fields:
            return connection_sudo.webhook_endpoint_url
        return (
            f"{connection_sudo.get_base_url()}/b2b/v1/webhooks/{connection_sudo.code}"
        )

    def _b2b_retailer_skus(self, connection):
        return {
            reference.product_id.id: reference.retailer_sku
            for reference in connection.sudo().product_reference_ids
        }

    # /my home -------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        wanted = {"b2b_request_count", "b2b_order_count", "b2b_answered_count"} & set(
            counters
        )
        if not wanted:
            return values
        connections = self._b2b_connections()
        counts = dict.fromkeys(wanted, 0)
        if connections:
            groups = request.env["sale.order"]._read_group(
                [("b2b_connection_id", "in", connections.ids)],
                ["b2b_state"],
                ["__count"],
            )
            by_state = dict(groups)
            counts.update(
                {
                    "b2b_request_count": sum(
                        by_state.get(state, 0)
                        for state in ("request", "answered", "expired")
                    ),
                    "b2b_order_count": by_state.get("order", 0),
                    "b2b_answered_count": by_state.get("answered", 0),
                }
            )
        values.update({key: counts[key] for key in wanted})
        return values

    # Cockpit ----------------------------------------------------------------

    @http.route("/my/b2b", type="http", auth="user", website=True)
    def portal_b2b_cockpit(self, **kw):
        connections = self._b2b_connections()
        if not connections:
            return request.redirect("/my/b2b/connection")
        SaleOrder = request.env["sale.order"]
        scope = [("b2b_connection_id", "in", connections.ids)]
        now = fields.Datetime.now()
        local_now = fields.Datetime.context_timestamp(request.env.user, now)
        year_start = datetime(local_now.year, 1, 1) - (
            local_now.utcoffset() or timedelta()
        )
        open_requests = SaleOrder.search(
            scope + [("b2b_state", "in", ("request", "answered", "expired"))],
            order="b2b_answer_deadline, id",
            limit=10,
        )
        to_ship = SaleOrder.search(
            scope + [("b2b_state", "=", "order")],
            order="b2b_ship_deadline, id",
            limit=10,
        )
        delayed_domain = scope + SaleOrder._b2b_urgency_domain("ship_late", now)
        shipped_domain = scope + SaleOrder._b2b_urgency_domain("shipped_recent", now)
        values = self._b2b_values(
            "b2b_cockpit",
            open_requests=open_requests,
            open_request_count=SaleOrder.search_count(
                scope + [("b2b_state", "in", ("request", "answered", "expired"))]
            ),
            to_ship=to_ship,
            to_ship_count=SaleOrder.search_count(scope + [("b2b_state", "=", "order")]),
            delayed=SaleOrder.search(
                delayed_domain, order="b2b_ship_deadline, id", limit=10
            ),
            delayed_count=SaleOrder.search_count(delayed_domain),
            shipped=SaleOrder.search(
                shipped_domain, order="b2b_shipped_at desc, id", limit=10
            ),
            shipped_count=SaleOrder.search_count(shipped_domain),
            year=local_now.year,
            year_order_count=SaleOrder.search_count(
                expression.AND(
                    [
                        self._b2b_scope_domain("orders"),
                        [
                            ("b2b_state", "in", ("order", "shipped")),
                            ("date_order", ">=", year_start),
                        ],
                    ]
                )
            ),
        )
        return request.render("b2b_dropship.portal_b2b_cockpit", values)

    # Requests ---------------------------------------------------------------

    def _b2b_request_sortings(self):
        return {
            "date": {"label": _("Newest"), "order": "create_date desc, id desc"},
            "deadline": {
                "label": _("Answer Deadline"),
                "order": "b2b_answer_deadline, id",
            },
            "reference": {"label": _("Reference"), "order": "client_order_ref, id"},
        }

    def _b2b_request_filters(self):
        return {
            "all": {"label": _("All"), "domain": []},
            "open": {
                "label": _("Waiting for Answer"),
                "domain": [("b2b_state", "=", "request")],
            },
            "answered": {
                "label": _("Answered"),
                "domain": [("b2b_state", "=", "answered")],
            },
            "expired": {
                "label": _("Expired"),
                "domain": [("b2b_state", "=", "expired")],
            },
            "declined": {
                "label": _("Declined"),
                "domain": [("b2b_state", "=", "declined")],
            },
            "cancelled": {
                "label": _("Cancelled"),
                "domain": [("b2b_state", "=", "cancelled")],
            },
        }

    @http.route(
        ["/my/b2b/requests", "/my/b2b/requests/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_b2b_requests(
        self, page=1, sortby=None, filterby=None, search=None, search_in=None, **kw
    ):
        if not self._b2b_connections():
            return request.redirect("/my/b2b/connection")
        values = self._b2b_values(
            "b2b_requests",
            **self._b2b_list(
                "requests",
                "/my/b2b/requests",
                page,
                sortby,
                filterby,
                search,
                search_in,
                self._b2b_request_sortings(),
                self._b2b_request_filters(),
            ),
        )
        return request.render("b2b_dropship.portal_b2b_requests", values)

    @http.route(
        "/my/b2b/requests/new",
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
    )
    def portal_b2b_request_new(self, **post):
        connection = self._b2b_connection()
        if not connection:
            return request.redirect("/my/b2b/connection")
        errors, general_errors = {}, []
        rows = self._b2b_request_rows(post)
        if request.httprequest.method == "POST" and not post.get("add_line"):
            data, row_of_line = self._b2b_request_data(post, rows, connection)
            try:
                order_sudo = connection.sudo()._b2b_receive("request", data)
            except B2bInputError as error:
                errors, general_errors = self._b2b_request_errors(
                    error.errors, row_of_line
                )
            except B2bRefusedError as error:
                general_errors = [error.args[0]]
            else:
                return request.redirect(
                    f"/my/b2b/requests/{order_sudo.id}?message=created"
                )
        elif post.get("add_line"):
            rows.append({"ref": "", "qty": ""})
        values = self._b2b_values(
            "b2b_request_new",
            post=post,
            rows=rows,
            errors=errors,
            general_errors=general_errors,
            countries=request.env["res.country"].search([]),
            default_country=request.env.user.partner_id.country_id
            or request.env.company.country_id,
            product_choices=connection.sudo()._b2b_product_choices(),
        )
        return request.render("b2b_dropship.portal_b2b_request_new", values)

    def _b2b_request_rows(self, post):
        rows = []
        count = str(post.get("line_count") or "")
        count = min(int(count), NEW_REQUEST_MAX_ROWS) if count.isdigit() else 0
        for index in range(count):
            rows.append(
                {
                    "ref": (post.get(f"line_{index}_ref") or "").strip(),
                    "qty": (post.get(f"line_{index}_qty") or "").strip(),
                }
            )
        while len(rows) < NEW_REQUEST_MIN_ROWS:
            rows.append({"ref": "", "qty": ""})
        return rows

    def _b2b_request_data(self, post, rows, connection):
        """The form as ``_b2b_receive`` data, and the form row of each line."""
        retailer_skus = set(
            connection.sudo().product_reference_ids.mapped("retailer_sku")
        )
        ship_to = {}
        for key in api_schema.SHIP_TO_FIELDS:
            value = (post.get(f"ship_to_{key}") or "").strip()
            if value or key in ("name", "street", "city", "zip", "country_code"):
                ship_to[key] = value
        lines, row_of_line = [], []
        for index, row in enumerate(rows):
            if not row["ref"] and not row["qty"]:
                continue
            line = (
                {"retailer_sku": row["ref"]}
                if row["ref"] in retailer_skus
                else {"sku": row["ref"]}
            )
            line["quantity"] = self._b2b_parse_quantity(row["qty"])
            lines.append(line)
            row_of_line.append(index)
        data = {
            "reference": (post.get("reference") or "").strip(),
            "ship_to": ship_to,
            "lines": lines,
        }
        if (post.get("note") or "").strip():
            data["note"] = post["note"].strip()
        return data, row_of_line

    @staticmethod
    def _b2b_parse_quantity(text):
        try:
            quantity = float(text.replace(",", "."))
        except ValueError:
            return text or None
        return int(quantity) if quantity.is_integer() else quantity

    def _b2b_request_errors(self, error_list, row_of_line):
        """Errors of ``_b2b_receive`` by form field, the others apart."""
        errors, general = {}, []
        for error in error_list:
            path = error.get("path") or ""
            key = None
            match = LINE_ERROR_PATH.match(path)
            if match and int(match.group(1)) < len(row_of_line):
                row = row_of_line[int(match.group(1))]
                key = (
                    f"line_{row}_qty"
                    if match.group(2) == "quantity"
                    else f"line_{row}_ref"
                )
            elif path.startswith("ship_to."):
                key = "ship_to_" + path.split(".", 1)[1]
            elif path in ("reference", "note"):
                key = path
            if key:
                errors.setdefault(key, error["message"])
            else:
                general.append(error["message"])
        return errors, general

    @http.route(
        "/my/b2b/requests/<int:order_id>", type="http", auth="user", website=True
    )
    def portal_b2b_request(self, order_id, message=None, **kw):
        order_sudo, right_kind = self._b2b_order_check_access(order_id, "requests")
        if not right_kind:
            return request.redirect(f"/my/b2b/orders/{order_id}")
        return self._b2b_render_request(order_sudo, message=message)

    def _b2b_render_request(self, order_sudo, message=None, error=None):
        values = self._b2b_values(
            "b2b_request",
            order=order_sudo,
            lines=order_sudo._b2b_answer_lines(),
            retailer_skus=self._b2b_retailer_skus(order_sudo.b2b_connection_id),
            message=message,
            error=error,
        )
        values = self._get_page_view_values(
            order_sudo, None, values, "my_b2b_requests_history", False
        )
        return request.render("b2b_dropship.portal_b2b_request", values)

    @http.route(
        "/my/b2b/requests/<int:order_id>/<any(convert,reopen,cancel):action>",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def portal_b2b_request_action(self, order_id, action, reason=None, **kw):
        order_sudo, right_kind = self._b2b_order_check_access(order_id, "requests")
        if not right_kind:
            raise NotFound()
        try:
            with request.env.cr.savepoint():
                if action == "convert":
                    order_sudo.action_b2b_convert()
                elif action == "reopen":
                    order_sudo.action_b2b_reopen()
                else:
                    order_sudo.action_b2b_cancel(reason)
        except UserError as error:
            request.env.invalidate_all()
            return self._b2b_render_request(order_sudo, error=error.args[0])
        if action == "convert":
            return request.redirect(f"/my/b2b/orders/{order_id}?message=ordered")
        return request.redirect(f"/my/b2b/requests/{order_id}?message={action}")

    # Orders -----------------------------------------------------------------

    def _b2b_order_sortings(self):
        return {
            "date": {"label": _("Newest"), "order": "date_order desc, id desc"},
            "deadline": {"label": _("Ship Deadline"), "order": "b2b_ship_deadline, id"},
            "reference": {"label": _("Reference"), "order": "client_order_ref, id"},
        }

    def _b2b_order_filters(self):
        now = fields.Datetime.now()
        SaleOrder = request.env["sale.order"]
        return {
            "all": {"label": _("All"), "domain": []},
            "to_ship": {
                "label": _("To Be Shipped"),
                "domain": [("b2b_state", "=", "order")],
            },
            "delayed": {
                "label": _("Delayed"),
                "domain": SaleOrder._b2b_urgency_domain("ship_late", now),
            },
            "shipped": {
                "label": _("Shipped"),
                "domain": [("b2b_state", "=", "shipped")],
            },
            "shipped_recent": {
                "label": _("Shipped Recently"),
                "domain": SaleOrder._b2b_urgency_domain("shipped_recent", now),
            },
            "cancelled": {
                "label": _("Cancelled"),
                "domain": [("b2b_state", "=", "cancelled")],
            },
        }

    @http.route(
        ["/my/b2b/orders", "/my/b2b/orders/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_b2b_orders(
        self, page=1, sortby=None, filterby=None, search=None, search_in=None, **kw
    ):
        if not self._b2b_connections():
            return request.redirect("/my/b2b/connection")
        values = self._b2b_values(
            "b2b_orders",
            **self._b2b_list(
                "orders",
                "/my/b2b/orders",
                page,
                sortby,
                filterby,
                search,
                search_in,
                self._b2b_order_sortings(),
                self._b2b_order_filters(),
            ),
        )
        return request.render("b2b_dropship.portal_b2b_orders", values)

    @http.route("/my/b2b/orders/<int:order_id>", type="http", auth="user", website=True)
    def portal_b2b_order(self, order_id, message=None, **kw):
        order_sudo, right_kind = self._b2b_order_check_access(order_id, "orders")
        if not right_kind:
            return request.redirect(f"/my/b2b/requests/{order_id}")
        return self._b2b_render_order(order_sudo, message=message)

    def _b2b_render_order(self, order_sudo, message=None, error=None):
        values = self._b2b_values(
            "b2b_order",
            order=order_sudo,
            lines=order_sudo._b2b_answer_lines(),
            retailer_skus=self._b2b_retailer_skus(order_sudo.b2b_connection_id),
            timeline=order_sudo._b2b_portal_timeline(),
            parcels=order_sudo._b2b_parcels(),
            has_packing_slip=bool(
                request.env.ref(PACKING_SLIP_REPORT, raise_if_not_found=False)
            ),
            message=message,
            error=error,
        )
        values = self._get_page_view_values(
            order_sudo, None, values, "my_b2b_orders_history", False
        )
        return request.render("b2b_dropship.portal_b2b_order", values)

    @http.route(
        "/my/b2b/orders/<int:order_id>/cancel",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def portal_b2b_order_cancel(self, order_id, reason=None, **kw):
        order_sudo, right_kind = self._b2b_order_check_access(order_id, "orders")
        if not right_kind:
            raise NotFound()
        try:
            with request.env.cr.savepoint():
                order_sudo.action_b2b_cancel(reason)
        except UserError as error:
            request.env.invalidate_all()
            return self._b2b_render_order(order_sudo, error=error.args[0])
        return request.redirect(f"/my/b2b/orders/{order_id}?message=cancel")

    @http.route(
        "/my/b2b/orders/<int:order_id>/packing-slip",
        type="http",
        auth="user",
        website=True,
    )
    def portal_b2b_packing_slip(self, order_id, **kw):
        order_sudo, right_kind = self._b2b_order_check_access(order_id, "orders")
        report = request.env.ref(PACKING_SLIP_REPORT, raise_if_not_found=False)
        if (
            not right_kind
            or not report
            or order_sudo.b2b_state not in ("order", "shipped")
        ):
            raise NotFound()
        return self._show_report(order_sudo, "pdf", PACKING_SLIP_REPORT, download=True)

    # Documents --------------------------------------------------------------

    def _b2b_invoice_domain(self):
        return [
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"),
            ("commercial_partner_id", "=", request.env.user.commercial_partner_id.id),
        ]

    @http.route(
        ["/my/b2b/documents", "/my/b2b/documents/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_b2b_documents(self, page=1, filterby=None, **kw):
        if not self._b2b_connections():
            return request.redirect("/my/b2b/connection")
        has_packing_slip = bool(
            request.env.ref(PACKING_SLIP_REPORT, raise_if_not_found=False)
        )
        filters = {"all": {"label": _("All")}, "invoices": {"label": _("Invoices")}}
        if has_packing_slip:
            filters["slips"] = {"label": _("Packing Slips")}
        filterby = filterby if filterby in filters else "all"
        documents = []
        if has_packing_slip and filterby in ("all", "slips"):
            slip_orders = request.env["sale.order"].search(
                expression.AND(
                    [
                        self._b2b_scope_domain("orders"),
                        [("b2b_state", "in", ("order", "shipped"))],
                    ]
                ),
                order="date_order desc, id desc",
            )
            documents += [
                {
                    "kind": "slip",
                    "name": _(
                        "Packing slip %(ref)s", ref=order.client_order_ref or order.name
                    ),
                    "date": order.b2b_shipped_at or order.date_order,
                    "url": f"/my/b2b/orders/{order.id}/packing-slip",
                    "record_url": f"/my/b2b/orders/{order.id}",
                }
                for order in slip_orders
            ]
        Move = request.env["account.move"]
        if filterby in ("all", "invoices") and Move.has_access("read"):
            invoices = Move.search(
                self._b2b_invoice_domain(), order="invoice_date desc, id desc"
            )
            documents += [
                {
                    "kind": "invoice",
                    "name": invoice.name,
                    "date": invoice.invoice_date,
                    "amount": invoice.amount_total,
                    "currency": invoice.currency_id,
                    "url": f"/my/b2b/documents/invoices/{invoice.id}",
                    "record_url": False,
                }
                for invoice in invoices
            ]
        documents.sort(
            key=lambda document: fields.Datetime.to_datetime(document["date"])
            or datetime.min,
            reverse=True,
        )
        pager = portal_pager(
            url="/my/b2b/documents",
            url_args={"filterby": filterby},
            total=len(documents),
            page=page,
            step=self._items_per_page,
        )
        values = self._b2b_values(
            "b2b_documents",
            documents=documents[
                pager["offset"] : pager["offset"] + self._items_per_page
            ],
            pager=pager,
            default_url="/my/b2b/documents",
            searchbar_filters=OrderedDict(filters),
            filterby=filterby,
        )
        return request.render("b2b_dropship.portal_b2b_documents", values)

    @http.route(
        "/my/b2b/documents/invoices/<int:invoice_id>",
        type="http",
        auth="user",
        website=True,
    )
    def portal_b2b_invoice(self, invoice_id, **kw):
        if not self._b2b_connections():
            raise NotFound()
        try:
            invoice_sudo = self._document_check_access("account.move", invoice_id)
        except MissingError as error:
            raise NotFound() from error
        except AccessError as error:
            raise Forbidden() from error
        if not invoice_sudo.filtered_domain(self._b2b_invoice_domain()):
            raise NotFound()
        return self._show_report(invoice_sudo, "pdf", INVOICE_REPORT, download=True)

    # Files ------------------------------------------------------------------

    @http.route(
        ["/my/b2b/files", "/my/b2b/files/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
        max_content_length=api_schema.MAX_FILE_BODY_SIZE,
    )
    def portal_b2b_files(self, page=1, csv_file=None, **kw):
        connection = self._b2b_connection()
        if not connection:
            return request.redirect("/my/b2b/connection")
        if "b2b.file.drop" not in request.env:
            raise NotFound()
        result, error = None, None
        if request.httprequest.method == "POST":
            if not csv_file or not getattr(csv_file, "filename", None):
                error = _("Please choose a CSV file to upload.")
            else:
                try:
                    with request.env.cr.savepoint():
                        # The channel checks the user reads the connection, then
                        # stores and imports with its own rights.
                        result = connection.import_csv(
                            csv_file.filename, csv_file.read(), "upload"
                        )
                except UserError as exc:
                    request.env.invalidate_all()
                    error = exc.args[0]
        FileDrop = request.env["b2b.file.drop"]
        domain = [("connection_id", "in", self._b2b_connections().ids)]
        pager = portal_pager(
            url="/my/b2b/files",
            total=FileDrop.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        drops = FileDrop.search(
            domain, order="id desc", limit=self._items_per_page, offset=pager["offset"]
        )
        values = self._b2b_values(
            "b2b_files",
            drops=drops,
            pager=pager,
            result=result and result.sudo(),
            error=error,
        )
        return request.render("b2b_dropship.portal_b2b_files", values)

    @http.route(
        "/my/b2b/files/<int:drop_id>/<any(original,errors):kind>",
        type="http",
        auth="user",
        website=True,
    )
    def portal_b2b_file_download(self, drop_id, kind, **kw):
        if "b2b.file.drop" not in request.env or not self._b2b_connections():
            raise NotFound()
        try:
            drop_sudo = self._document_check_access("b2b.file.drop", drop_id)
        except MissingError as error:
            raise NotFound() from error
        except AccessError as error:
            raise Forbidden() from error
        if drop_sudo.connection_id not in self._b2b_connections().sudo():
            raise NotFound()
        field, filename = (
            ("file", drop_sudo.name)
            if kind == "original"
            else ("error_file", drop_sudo.error_file_name)
        )
        if not drop_sudo[field]:
            raise NotFound()
        stream = request.env["ir.binary"]._get_stream_from(
            drop_sudo, field, filename=filename, mimetype="text/csv"
        )
        return stream.get_response(as_attachment=True)

    # Events ---------------------------------------------------------------

    @http.route(
        ["/my/b2b/events", "/my/b2b/events/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_b2b_events(self, page=1, filterby=None, **kw):
        """The channel events (webhooks received, events sent) of the connection."""
        if not self._b2b_connections():
            return request.redirect("/my/b2b/connection")
        if "b2b.event" not in request.env:
            raise NotFound()
        filters = {
            "all": {"label": _("All"), "domain": []},
            "inbound": {
                "label": _("Received"),
                "domain": [("direction", "=", "inbound")],
            },
            "outbound": {
                "label": _("Sent"),
                "domain": [("direction", "=", "outbound")],
            },
            "failed": {
                "label": _("Failed"),
                "domain": [("state", "in", ("failed", "abandoned"))],
            },
        }
        filterby = filterby if filterby in filters else "all"
        Event = request.env["b2b.event"]
        domain = expression.AND(
            [
                [("connection_id", "in", self._b2b_connections().ids)],
                filters[filterby]["domain"],
            ]
        )
        pager = portal_pager(
            url="/my/b2b/events",
            url_args={"filterby": filterby},
            total=Event.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        events = Event.search(
            domain, order="id desc", limit=self._items_per_page, offset=pager["offset"]
        )
        values = self._b2b_values(
            "b2b_events",
            events=events,
            pager=pager,
            default_url="/my/b2b/events",
            searchbar_filters=OrderedDict(filters),
            filterby=filterby,
        )
        return request.render("b2b_dropship.portal_b2b_events", values)

    # Connection -------------------------------------------------------------

    @http.route(
        "/my/b2b/connection",
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
    )
    def portal_b2b_connection(self, message=None, **post):
        user = request.env.user
        if not user._is_portal():
            raise Forbidden()
        connection = self._b2b_connection()
        error = None
        if request.httprequest.method == "POST":
            terms_accepted = bool(post.get("terms_accepted"))
            try:
                with request.env.cr.savepoint():
                    if not connection or connection.state == "refused":
                        request.env["b2b.connection"].sudo()._b2b_request_connection(
                            user, terms_accepted=terms_accepted
                        )
                    elif connection.state == "invited":
                        connection.sudo()._b2b_connect(
                            user, terms_accepted=terms_accepted
                        )
                    else:
                        raise UserError(_("Your company is already connected."))
            except UserError as exc:
                request.env.invalidate_all()
                error = exc.args[0]
            else:
                return request.redirect("/my/b2b/connection?message=requested")
            connection = self._b2b_connection()
        terms_url = (
            connection.sudo().effective_terms_url
            if connection
            else request.env.company.b2b_terms_url
        )
        values = self._b2b_values(
            "b2b_connection",
            terms_url=terms_url,
            error=error,
            message=message,
            languages=request.env["res.lang"].get_installed(),
            webhook_url=connection and self._b2b_webhook_url(connection.sudo()),
        )
        return request.render("b2b_dropship.portal_b2b_connection", values)

    @http.route(
        "/my/b2b/connection/settings",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def portal_b2b_connection_settings(self, notify_emails="", lang=None, **post):
        self._b2b_check_admin()
        connection_sudo = self._b2b_connection().sudo()
        addresses = email_split(notify_emails or "")
        invalid = [address for address in addresses if not email_normalize(address)]
        if invalid or (notify_emails.strip() and not addresses):
            return request.redirect("/my/b2b/connection?message=invalid_emails")
        values = {"notify_emails": ", ".join(addresses) or False}
        if lang in dict(request.env["res.lang"].get_installed()):
            values["lang"] = lang
        connection_sudo.write(values)
        return request.redirect("/my/b2b/connection?message=saved")

    @http.route("/my/b2b/credentials", type="http", auth="user", website=True)
    def portal_b2b_credentials(self, message=None, **kw):
        self._b2b_check_admin()
        connection_sudo = self._b2b_connection().sudo()
        values = self._b2b_values(
            "b2b_credentials",
            message=message,
            previous_valid_until=hasattr(
                connection_sudo, "_b2b_previous_secret_valid_until"
            )
            and connection_sudo._b2b_previous_secret_valid_until(),
            webhook_url=self._b2b_webhook_url(connection_sudo),
            has_webhook_secret="webhook_secret" in connection_sudo._fields,
            can_rotate=hasattr(connection_sudo, "action_rotate_webhook_secret"),
            allow_api_keys=bool(
                request.env["ir.config_parameter"]
                .sudo()
                .get_param("portal.allow_api_keys")
            ),
        )
        return request.render(
            "b2b_dropship.portal_b2b_credentials",
            values,
            headers={"Cache-Control": "no-store", "X-Frame-Options": "SAMEORIGIN"},
        )

    @http.route(
        "/my/b2b/credentials/rotate",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def portal_b2b_credentials_rotate(self, **kw):
        self._b2b_check_admin()
        connection_sudo = self._b2b_connection().sudo()
        if not hasattr(connection_sudo, "action_rotate_webhook_secret"):
            raise NotFound()
        connection_sudo.action_rotate_webhook_secret()
        return request.redirect("/my/b2b/credentials?message=rotated")

    # Team -------------------------------------------------------------------

    def _b2b_team(self):
        partner = request.env.user.commercial_partner_id
        return (
            request.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [("partner_id", "child_of", partner.id), ("share", "=", True)],
                order="name",
            )
        )

    def _b2b_team_member(self, user_id):
        """A user of the admin's own company, sudoed; anyone else is not found."""
        member = (
            request.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .browse(user_id)
        )
        if (
            not member.exists()
            or not member.share
            or member.partner_id.commercial_partner_id
            != request.env.user.commercial_partner_id
        ):
            raise NotFound()
        return member

    @http.route("/my/b2b/team", type="http", auth="user", website=True)
    def portal_b2b_team(self, message=None, error=None, **kw):
        self._b2b_check_admin()
        values = self._b2b_values(
            "b2b_team", team=self._b2b_team(), message=message, error=error
        )
        return request.render("b2b_dropship.portal_b2b_team", values)

    @http.route(
        "/my/b2b/team/invite", type="http", auth="user", website=True, methods=["POST"]
    )
    def portal_b2b_team_invite(self, name="", email="", is_admin=None, **kw):
        self._b2b_check_admin()
        try:
            with request.env.cr.savepoint():
                request.env.user.sudo()._b2b_invite_colleague(
                    name, email, bool(is_admin)
                )
        except UserError as exc:
            request.env.invalidate_all()
            values = self._b2b_values(
                "b2b_team",
                team=self._b2b_team(),
                error=exc.args[0],
                invite={"name": name, "email": email, "is_admin": bool(is_admin)},
            )
            return request.render("b2b_dropship.portal_b2b_team", values)
        return request.redirect("/my/b2b/team?message=invited")

    @http.route(
        "/my/b2b/team/<int:user_id>/<any(deactivate,reactivate,grant_admin,revoke_admin):action>",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def portal_b2b_team_action(self, user_id, action, **kw):
        self._b2b_check_admin()
        member = self._b2b_team_member(user_id)
        try:
            with request.env.cr.savepoint():
                request.env.user.sudo()._b2b_team_action(member, action)
        except UserError as exc:
            request.env.invalidate_all()
            values = self._b2b_values(
                "b2b_team", team=self._b2b_team(), error=exc.args[0]
            )
            return request.render("b2b_dropship.portal_b2b_team", values)
        return request.redirect(f"/my/b2b/team?message={action}")
