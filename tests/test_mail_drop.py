import base64

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MailCase

from .channels_common import SHIP_TO, request_data
from .common import B2bCommon
from .test_csv_import import csv_file

MAIL_WITH_FILES = """Return-Path: {return_path}
To: {to}
cc: {cc}
Received: by mail1.example.com (Postfix, from userid 10002)
    id 5DF9ABFB2A; Fri, 10 Aug 2012 16:16:39 +0200 (CEST)
From: {email_from}
Subject: {subject}
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_Part_4200734_24778174.1344608186754"
Date: Fri, 10 Aug 2012 14:16:26 +0000
Message-ID: {msg_id}
{extra}
------=_Part_4200734_24778174.1344608186754
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Today's orders, as usual.

{parts}------=_Part_4200734_24778174.1344608186754--
"""


def attachment_part(name, content, content_type="text/csv"):
    encoded = base64.encodebytes(content).decode()
    return (
        "------=_Part_4200734_24778174.1344608186754\n"
        f'Content-Type: {content_type}; name="{name}"\n'
        f'Content-Disposition: attachment; filename="{name}"\n'
        "Content-Transfer-Encoding: base64\n\n"
        f"{encoded}\n"
    )


@tagged("post_install", "-at_install")
class TestMailDrop(B2bCommon, MailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._init_mail_gateway()
        cls.retailer_contact.email = "rita@retailer-one.example"
        cls.alias = cls.env.ref("b2b_dropship.mail_alias_b2b_drops")
        cls.alias.alias_domain_id = cls.mail_alias_domain
        cls.drop_address = cls.alias.alias_full_name

    def _send(
        self, email_from, parts="", subject="Orders", to=None, msg_id=False, extra=""
    ):
        # mails sent are deleted, as they are once sent outside tests: an
        # answer to one is routed by the mail it answers, the one it references
        with self.mock_mail_gateway(mail_unlink_sent=True):
            self.format_and_process(
                MAIL_WITH_FILES,
                email_from,
                to or self.drop_address,
                subject=subject,
                return_path=email_from,
                parts=parts,
                msg_id=msg_id,
                extra=extra,
                target_model="b2b.file.drop",
            )

    def _answer(self, email_from, answered, parts, to=None):
        """Send ``parts`` in answer to the mail ``answered`` (its Message-Id
        and References), as mail clients do: In-Reply-To naming it,
        References naming it after those it names."""
        references = f"{answered.get('references') or ''} {answered['message_id']}"
        self._send(
            email_from,
            parts,
            subject="Re: Orders",
            to=to,
            extra=f"In-Reply-To: {answered['message_id']}\n"
            f"References: {references.strip()}\n",
        )

    def _other_alias(self, name):
        """An alias of contacts on the same domain: a mail written to it and
        to the drop address takes both routes."""
        return self.env["mail.alias"].create(
            {
                "alias_name": name,
                "alias_model_id": self.env["ir.model"]._get_id("res.partner"),
                "alias_contact": "everyone",
                "alias_domain_id": self.mail_alias_domain.id,
            }
        )

    def _drops(self):
        return self.env["b2b.file.drop"].search([], order="id")

    def _reply_to(self, email):
        replies = [mail for mail in self._mails if email in mail["email_to"][0]]
        self.assertEqual(len(replies), 1, self._mails)
        return replies[0]

    def test_sender_of_several_connections_names_one_in_the_subject(self):
        # a platform's address, a notification address of two connections
        # whose codes start alike, named in any case
        platform = "orders@platform.example"
        self.connection.notify_emails = platform
        other = self.env["b2b.connection"].create(
            {
                "name": "Retailer One Europe",
                "code": f"{self.connection.code}-eu",
                "partner_id": self.env["res.partner"]
                .create({"name": "Retailer One Europe", "is_company": True})
                .id,
                "state": "connected",
                "notify_emails": platform,
            }
        )
        sender = f"Shop Platform <{platform}>"
        for reference, subject in (
            ("PO-40", f"Orders for {other.code.upper()}"),
            ("PO-41", f"{self.connection.code}: orders"),
            ("PO-42", "Orders"),
        ):
            self._send(
                sender,
                attachment_part(f"{reference}.csv", csv_file(reference)),
                subject=subject,
            )
        drops = self._drops()
        self.assertEqual(
            [(drop.name, drop.connection_id) for drop in drops],
            [("PO-40.csv", other), ("PO-41.csv", self.connection)],
        )
        self.assertIn("write the code", self._reply_to(platform)["body"])

    def test_another_retailers_address_listed_by_a_retailer_gets_it_nothing(self):
        # retailer two's address, which retailer one's administrator added to
        # its own notification addresses; retailer two is not connected
        retailer_two = self.env["res.partner"].create(
            {"name": "Retailer Two", "is_company": True}
        )
        self.env["res.partner"].create(
            {
                "name": "Tom",
                "parent_id": retailer_two.id,
                "email": "orders@retailer-two.example",
            }
        )
        self.env["b2b.connection"].create(
            {
                "name": "Retailer Two",
                "code": "retailer-two",
                "partner_id": retailer_two.id,
                "state": "suspended",
            }
        )
        self.connection.notify_emails = "orders@retailer-two.example"
        self._send(
            "Tom <orders@retailer-two.example>",
            attachment_part("PO-43.csv", csv_file("PO-43")),
        )
        self.assertFalse(self._drops())
        self.assertIn(
            "not connected", self._reply_to("orders@retailer-two.example")["body"]
        )

    def test_alias_address(self):
        self.assertEqual(self.drop_address, "b2b-drops@test.mycompany.com")
        self.assertEqual(self.connection.csv_drop_email, "b2b-drops@test.mycompany.com")

    def test_csv_files_of_a_connected_retailer_are_imported(self):
        parts = (
            attachment_part("PO-1.csv", csv_file("PO-1"))
            + attachment_part(
                "PO-2.CSV",
                csv_file("PO-2", lines=[("NOPE", "", "1")]),
                "application/octet-stream",
            )
            + attachment_part("terms.pdf", b"%PDF-1.4 not a csv", "application/pdf")
        )
        self._send(
            "Rita Retailer <rita@retailer-one.example>",
            parts,
            subject="Orders of Monday",
        )
        first, second = self._drops()
        self.assertRecordValues(
            first + second,
            [
                {"name": "PO-1.csv", "source": "email", "state": "imported"},
                {"name": "PO-2.CSV", "source": "email", "state": "error"},
            ],
        )
        self.assertEqual(
            first.email_from, '"Rita Retailer" <rita@retailer-one.example>'
        )
        self.assertEqual(first.order_id.client_order_ref, "PO-1")
        # the incoming mail is in the first file's history, without the CSV files
        incoming = first.message_ids.filtered(
            lambda message: message.message_type == "email"
        )
        self.assertEqual(incoming.subject, "Orders of Monday")
        self.assertEqual(incoming.attachment_ids.mapped("name"), ["terms.pdf"])
        self.assertIn(
            "Received in the same e-mail as PO-1.csv", second.message_ids[0].body
        )
        # the sender hears what became of each file, the error file attached
        reply = self._reply_to("rita@retailer-one.example")
        self.assertEqual(reply["subject"], "Re: Orders of Monday")
        self.assertIn("PO-1.csv: imported, request PO-1", reply["body"])
        self.assertIn(
            "PO-2.CSV: not imported, nothing was created: 1 problem(s)", reply["body"]
        )
        attachments = {
            name: content for name, content, _mimetype in reply["attachments"]
        }
        self.assertEqual(list(attachments), ["PO-2.CSV.errors.csv"])
        self.assertIn(b"Unknown product NOPE", attachments["PO-2.CSV.errors.csv"])

    def test_file_bytes_are_kept_as_sent(self):
        content = csv_file("PO-3").replace(
            b"Jane Customer", "Zoé Éluard".encode("cp1252")
        )
        # text/csv without charset: Odoo itself would read it as UTF-8
        self._send("rita@retailer-one.example", attachment_part("PO-3.csv", content))
        drop = self._drops()
        self.assertEqual(drop._b2b_content(), content)
        self.assertEqual(drop.state, "imported")
        self.assertEqual(drop.order_id.partner_shipping_id.name, "Zoé Éluard")

    def test_notification_address_of_the_connection_is_accepted(self):
        self.connection.notify_emails = (
            "buyer@elsewhere.example, edi@retailer-one.example"
        )
        self._send(
            "EDI <edi@retailer-one.example>",
            attachment_part("PO-4.csv", csv_file("PO-4")),
        )
        self.assertEqual(self._drops().state, "imported")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_unknown_sender_gets_a_reply_and_nothing_is_created(self):
        self._send(
            "mallory@evil.example", attachment_part("PO-5.csv", csv_file("PO-5"))
        )
        self.assertFalse(self._drops())
        self.assertFalse(
            self.env["sale.order"].search([("client_order_ref", "=", "PO-5")])
        )
        reply = self._reply_to("mallory@evil.example")
        self.assertIn(
            "mallory@evil.example is not the address of a retailer connected to us",
            reply["body"],
        )
        self.assertIn("nothing was imported", reply["body"])
        self.assertEqual(
            self.alias.alias_status,
            "not_tested",
            "a refused sender is not an alias error",
        )

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_ship_to_customer_is_not_a_retailer_sender(self):
        """The retailer's customers become its delivery contacts: their
        addresses must not be able to send orders in its name."""
        self.connection._b2b_receive("request", request_data("PO-7"))
        customer_email = SHIP_TO["email"]
        self._send(customer_email, attachment_part("PO-8.csv", csv_file("PO-8")))
        self.assertFalse(self._drops())
        self.assertFalse(
            self.env["sale.order"].search([("client_order_ref", "=", "PO-8")])
        )
        reply = self._reply_to(customer_email)
        self.assertIn("is not the address of a retailer connected to us", reply["body"])

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_mail_without_csv_gets_a_reply(self):
        self._send(
            "rita@retailer-one.example",
            attachment_part("order.pdf", b"%PDF-1.4", "application/pdf"),
        )
        self.assertFalse(self._drops())
        reply = self._reply_to("rita@retailer-one.example")
        self.assertIn("It has no CSV file attached", reply["body"])

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_suspended_connection_gets_a_reply(self):
        self.connection.state = "suspended"
        self._send(
            "rita@retailer-one.example", attachment_part("PO-6.csv", csv_file("PO-6"))
        )
        self.assertFalse(self._drops())
        reply = self._reply_to("rita@retailer-one.example")
        self.assertIn("is not connected", reply["body"])

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_refused_mail_also_written_to_another_alias_reaches_it(self):
        contact_us = self._other_alias("contact-us")
        self._send(
            "mallory@evil.example",
            attachment_part("PO-5.csv", csv_file("PO-5")),
            subject="Mallory's question",
            to=f"{self.drop_address}, {contact_us.alias_full_name}",
        )
        self.assertFalse(self._drops())
        self.assertIn(
            "is not the address of a retailer connected to us",
            self._reply_to("mallory@evil.example")["body"],
        )
        contact = self.env["res.partner"].search([("name", "=", "Mallory's question")])
        self.assertEqual(
            contact.message_ids.filtered(
                lambda message: message.message_type == "email"
            ).attachment_ids.mapped("name"),
            ["PO-5.csv"],
        )

    def test_mail_also_written_to_another_alias_keeps_its_files_there(self):
        contact_us = self._other_alias("contact-us")
        self._send(
            "rita@retailer-one.example",
            attachment_part("PO-1.csv", csv_file("PO-1"))
            + attachment_part("terms.pdf", b"%PDF-1.4", "application/pdf"),
            subject="Orders and a question",
            to=f"{self.drop_address}, {contact_us.alias_full_name}",
        )
        drop = self._drops()
        self.assertEqual(drop.state, "imported")
        self.assertIn(
            "PO-1.csv: imported", self._reply_to("rita@retailer-one.example")["body"]
        )

        def incoming(record):
            return record.message_ids.filtered(
                lambda message: message.message_type == "email"
            )

        self.assertEqual(incoming(drop).attachment_ids.mapped("name"), ["terms.pdf"])
        contact = self.env["res.partner"].search(
            [("name", "=", "Orders and a question")]
        )
        self.assertEqual(
            sorted(incoming(contact).attachment_ids.mapped("name")),
            ["PO-1.csv", "terms.pdf"],
        )

    def test_files_sent_in_answer_to_an_earlier_mail_are_imported(self):
        rita = "rita@retailer-one.example"
        self._send(
            rita,
            attachment_part("PO-1.csv", csv_file("PO-1")),
            msg_id="<orders-1@retailer-one.example>",
        )
        self._answer(
            rita,
            {"message_id": "<orders-1@retailer-one.example>"},
            attachment_part("PO-2.csv", csv_file("PO-2")),
        )
        first, second = self._drops()
        self.assertRecordValues(
            second,
            [
                {
                    "name": "PO-2.csv",
                    "source": "email",
                    "state": "imported",
                    "email_from": rita,
                }
            ],
        )
        self.assertEqual(second.order_id.client_order_ref, "PO-2")
        self.assertIn("PO-2.csv: imported, request PO-2", self._reply_to(rita)["body"])
        # Odoo keeps the answer in the history of the file it answers
        answer = first.message_ids.filtered(
            lambda message: message.subject == "Re: Orders"
        )
        self.assertEqual(answer.message_type, "email")
        self.assertFalse(answer.attachment_ids)
        self.assertIn(
            "in an answer kept in the history of PO-1.csv",
            second.message_ids[0].body,
        )

    def test_answer_to_our_reply_comes_back_to_the_drop_address_and_is_imported(self):
        rita = "rita@retailer-one.example"
        self._send(rita, attachment_part("PO-1.csv", csv_file("PO-1")))
        confirmation = self._reply_to(rita)
        self.assertIn(f"<{self.drop_address}>", confirmation["reply_to"])
        self._answer(
            rita,
            confirmation,
            attachment_part("PO-3.csv", csv_file("PO-3")),
            to=confirmation["reply_to"],
        )
        first, second = self._drops()
        self.assertRecordValues(
            first + second,
            [
                {"name": "PO-1.csv", "state": "imported"},
                {"name": "PO-3.csv", "state": "imported"},
            ],
        )
        self.assertIn("PO-3.csv: imported, request PO-3", self._reply_to(rita)["body"])
        # routed by the mail it answers: in the history of the first file
        self.assertIn("Re: Orders", first.message_ids.mapped("subject"))

    def test_files_answered_to_another_address_in_a_drops_thread_are_imported(self):
        # an answer to a reply sent before replies came back to the drop
        # address: to the catchall address, routed to the drop it answers
        rita = "rita@retailer-one.example"
        self._send(
            rita,
            attachment_part("PO-1.csv", csv_file("PO-1")),
            msg_id="<orders-3@retailer-one.example>",
        )
        self._answer(
            rita,
            {"message_id": "<orders-3@retailer-one.example>"},
            attachment_part("PO-4.csv", csv_file("PO-4")),
            to=self.mail_alias_domain.catchall_email,
        )
        self.assertEqual(
            self._drops().mapped(lambda drop: (drop.name, drop.state)),
            [("PO-1.csv", "imported"), ("PO-4.csv", "imported")],
        )
        self.assertIn("PO-4.csv: imported, request PO-4", self._reply_to(rita)["body"])

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_unknown_sender_answering_in_a_drops_thread_gets_a_reply(self):
        self._send(
            "rita@retailer-one.example",
            attachment_part("PO-1.csv", csv_file("PO-1")),
            msg_id="<orders-4@retailer-one.example>",
        )
        first = self._drops()
        for to in (self.drop_address, self.mail_alias_domain.catchall_email):
            with self.subTest(to=to):
                self._answer(
                    "mallory@evil.example",
                    {"message_id": "<orders-4@retailer-one.example>"},
                    attachment_part("PO-5.csv", csv_file("PO-5")),
                    to=to,
                )
                self.assertEqual(self._drops(), first)
                self.assertFalse(
                    self.env["sale.order"].search([("client_order_ref", "=", "PO-5")])
                )
                self.assertIn(
                    "mallory@evil.example is not the address of a retailer connected "
                    "to us",
                    self._reply_to("mallory@evil.example")["body"],
                )

    def test_line_breaks_in_a_file_name_do_not_stop_the_reply(self):
        content = base64.encodebytes(csv_file("PO-9", lines=[("NOPE", "", "1")]))
        part = (
            "------=_Part_4200734_24778174.1344608186754\n"
            "Content-Type: text/csv\n"
            "Content-Disposition: attachment; "
            "filename*=UTF-8''PO-9%0D%0AX-Evil%3A%201.csv\n"
            "Content-Transfer-Encoding: base64\n\n"
            f"{content.decode()}\n"
        )
        self._send("rita@retailer-one.example", part)
        drop = self._drops()
        self.assertRecordValues(
            drop,
            [
                {
                    "name": "PO-9 X-Evil: 1.csv",
                    "state": "error",
                    "error_file_name": "PO-9 X-Evil: 1.csv.errors.csv",
                }
            ],
        )
        reply = self._reply_to("rita@retailer-one.example")
        self.assertEqual(
            [name for name, _content, _mimetype in reply["attachments"]],
            ["PO-9 X-Evil: 1.csv.errors.csv"],
        )
        self.assertEqual(
            [email["smtp_to_list"] for email in self.emails],
            [["rita@retailer-one.example"]],
            "the reply was sent",
        )
