from .common import B2bCommon


class B2bShippingCommon(B2bCommon):
    """Orders to ship, two carriers and a way to confirm shipments as a B2B user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection.instant_ordering = True
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.connection.lang = "fr_FR"
        delivery_product = cls.env["product.product"].create(
            {"name": "Parcel service", "type": "service", "default_code": "SHIP"}
        )
        cls.carrier_tracked = cls.env["delivery.carrier"].create(
            {
                "name": "Parcel Express",
                "delivery_type": "fixed",
                "product_id": delivery_product.id,
                "tracking_url": "https://track.example/parcel?ref=<shipmenttrackingnumber>",
            }
        )
        cls.carrier_plain = cls.env["delivery.carrier"].create(
            {
                "name": "Local Courier",
                "delivery_type": "fixed",
                "product_id": delivery_product.id,
            }
        )
        cls.ship_to = cls.env["res.partner"].create(
            {
                "name": "Marie Durand",
                "parent_id": cls.retailer.id,
                "type": "delivery",
                "street": "3 rue des Lilas",
                "city": "Lyon",
                "zip": "69003",
                "country_id": cls.env.ref("base.fr").id,
            }
        )

    @classmethod
    def _create_order(cls, ref="ORD-1", lines=None, **values):
        """A confirmed B2B order (instant ordering), its delivery reserved."""
        order = cls._create_request(
            ref=ref,
            lines=lines,
            b2b_state="order",
            partner_shipping_id=cls.ship_to.id,
            user_id=cls.b2b_user.id,
            **values,
        )
        order.action_confirm()
        return order

    def _wizard(self, order, user=None, quantities=None, **values):
        """The shipment confirmation of ``order`` as opened from its form."""
        wizard = (
            self.env["b2b.shipment.confirm"]
            .with_user(user or self.b2b_user)
            .with_context(active_model="sale.order", active_id=order.id)
            .create(values)
        )
        for product, quantity in (quantities or {}).items():
            wizard.line_ids.filtered(
                lambda line, p=product: line.product_id == p
            ).quantity = quantity
        return wizard

    def _ship(self, order, user=None, quantities=None, **values):
        values.setdefault("carrier_id", self.carrier_plain.id)
        return self._wizard(
            order, user=user, quantities=quantities, **values
        ).action_confirm()

    def _record_events(self):
        """Collect the outbound events the orders emit, keeping what the hook does."""
        events = []
        SaleOrder = self.env.registry["sale.order"]
        original = SaleOrder._b2b_emit_event

        def _b2b_emit_event(order, event_type, payload):
            events.append((order, event_type, payload))
            return original(order, event_type, payload)

        self.patch(SaleOrder, "_b2b_emit_event", _b2b_emit_event)
        return events
