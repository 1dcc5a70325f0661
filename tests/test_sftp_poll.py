import os
import threading
import time
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.b2b_dropship.models import b2b_csv_channel_mixin as sftp_channel
from odoo.addons.b2b_dropship.tools import sftp_client

from .common import B2bCommon
from .sshd_server import CuttingProxy, SshdCase, sshd_fixture
from .test_csv_import import csv_file

SftpClient = sftp_client.SftpClient


def sftp_values(sshd, base, **overrides):
    values = {
        "sftp_enabled": True,
        "sftp_host": "127.0.0.1",
        "sftp_port": sshd.port,
        "sftp_user": sshd.user,
        "sftp_private_key": sshd.user_key("ed25519"),
        "sftp_host_key": sshd.host_key_line("ed25519"),
        "sftp_inbox": str(base / "in"),
        "sftp_processed": str(base / "processed"),
        "sftp_error": str(base / "error"),
        "sftp_outbox": str(base / "out"),
    }
    values.update(overrides)
    return values


def names(folder):
    return sorted(path.name for path in folder.iterdir())


@tagged("post_install", "-at_install")
class TestSftpPoll(SshdCase, B2bCommon):
    def setUp(self):
        super().setUp()
        self.base = self.make_folders("in", "processed", "error", "out")
        self.inbox = self.base / "in"
        self.connection.sudo().write(sftp_values(self.sshd, self.base))

    def _drops(self):
        return self.env["b2b.file.drop"].search(
            [("connection_id", "=", self.connection.id)], order="id"
        )

    def _orders(self):
        return self.env["sale.order"].search(
            [("b2b_connection_id", "=", self.connection.id)]
        )

    def _poll(self):
        self.env["b2b.connection"]._cron_sftp_poll()

    def test_poll_imports_each_file_and_moves_it(self):
        good = csv_file("SF-1")
        (self.inbox / "SF-1.csv").write_bytes(good)
        (self.inbox / "SF-2.csv").write_bytes(
            csv_file("SF-2", lines=[("NOPE", "", "1")])
        )
        (self.inbox / "SF-3.csv.part").write_bytes(csv_file("SF-3"))
        (self.inbox / "SF-4.tmp").write_bytes(csv_file("SF-4"))
        (self.inbox / "SF-5.filepart").write_bytes(csv_file("SF-5"))
        self._poll()
        drops = self._drops()
        self.assertRecordValues(
            drops,
            [
                {
                    "name": "SF-1.csv",
                    "source": "sftp",
                    "state": "imported",
                    "sftp_done": True,
                },
                {
                    "name": "SF-2.csv",
                    "source": "sftp",
                    "state": "error",
                    "sftp_done": True,
                },
            ],
        )
        self.assertEqual(self._orders().mapped("client_order_ref"), ["SF-1"])
        self.assertEqual(
            drops[0].sftp_remote_path, str(self.base / "processed" / "SF-1.csv")
        )
        self.assertEqual(
            drops[1].sftp_remote_path, str(self.base / "error" / "SF-2.csv")
        )
        # uploads in progress stay; imported and refused files left the inbox
        self.assertEqual(
            names(self.inbox), ["SF-3.csv.part", "SF-4.tmp", "SF-5.filepart"]
        )
        self.assertEqual(names(self.base / "processed"), ["SF-1.csv"])
        self.assertEqual((self.base / "processed" / "SF-1.csv").read_bytes(), good)
        self.assertEqual(
            names(self.base / "error"), ["SF-2.csv", "SF-2.csv.errors.csv"]
        )
        errors = (self.base / "error" / "SF-2.csv.errors.csv").read_bytes()
        self.assertEqual(errors, drops[1]._b2b_error_file_content())
        self.assertIn(b"Unknown product NOPE", errors)
        self.assertTrue(self.connection.sftp_last_poll_at)
        self.assertFalse(self.connection.sftp_last_error)
        # the next poll finds nothing new
        self._poll()
        self.assertEqual(self._drops(), drops)

    def test_second_bad_file_of_a_name_keeps_its_own_error_file(self):
        for sku in ("NOPE-1", "NOPE-2"):
            (self.inbox / "orders.csv").write_bytes(
                csv_file(f"SF-{sku}", lines=[(sku, "", "1")])
            )
            self._poll()
        first, second = self._drops()
        error = self.base / "error"
        self.assertEqual(
            names(error),
            [
                "orders-2.csv",
                "orders-2.csv.errors.csv",
                "orders.csv",
                "orders.csv.errors.csv",
            ],
        )
        self.assertEqual(second.sftp_remote_path, str(error / "orders-2.csv"))
        self.assertIn(
            b"Unknown product NOPE-1", (error / "orders.csv.errors.csv").read_bytes()
        )
        self.assertEqual(
            (error / "orders-2.csv.errors.csv").read_bytes(),
            second._b2b_error_file_content(),
        )
        self.assertIn(b"NOPE-2", (error / "orders-2.csv").read_bytes())
        self.assertEqual(first.state, "error")

    def test_same_file_again_is_duplicate_in_error_folder(self):
        content = csv_file("SF-6")
        (self.inbox / "SF-6.csv").write_bytes(content)
        self._poll()
        (self.inbox / "SF-6.csv").write_bytes(content)
        self._poll()
        first, second = self._drops()
        self.assertRecordValues(
            second,
            [{"state": "duplicate", "duplicate_of_id": first.id, "sftp_done": True}],
        )
        self.assertEqual(len(self._orders()), 1)
        self.assertEqual(
            names(self.base / "error"), ["SF-6.csv", "SF-6.csv.errors.csv"]
        )
        self.assertEqual(names(self.base / "processed"), ["SF-6.csv"])

    def test_wrong_host_key_is_refused_and_nothing_is_taken(self):
        (self.inbox / "SF-7.csv").write_bytes(csv_file("SF-7"))
        # an Ed25519 key that is not the server's
        stranger = (self.sshd.workdir / "user_stranger.pub").read_text().split()[:2]
        self.connection.sudo().sftp_host_key = " ".join(stranger)
        self._poll()
        self.assertFalse(self._drops())
        self.assertEqual(names(self.inbox), ["SF-7.csv"])
        self.assertIn("Host key refused", self.connection.sftp_last_error)
        self.assertIn("not the configured one", self.connection.sftp_last_error)
        message = self.connection.message_ids[0]
        self.assertIn("The SFTP poll failed", message.body)
        result = self.connection.with_user(self.b2b_manager).action_b2b_sftp_test()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("Host key refused", result["params"]["message"])
        self.assertIn("✓ TCP connection", result["params"]["message"])

    def test_host_key_is_required_and_checked(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.connection.sudo().sftp_host_key = False
        with self.assertRaises(ValidationError):
            self.connection.sudo().sftp_host_key = "ssh-ed25519 not-a-key"

    def test_wrong_user_key_is_refused(self):
        (self.inbox / "SF-8.csv").write_bytes(csv_file("SF-8"))
        self.connection.sudo().sftp_private_key = self.sshd.user_key("stranger")
        self._poll()
        self.assertFalse(self._drops())
        self.assertIn("Authentication failed", self.connection.sftp_last_error)
        result = self.connection.action_b2b_sftp_test()
        self.assertIn("Authentication failed", result["params"]["message"])
        self.assertNotIn("PRIVATE KEY", result["params"]["message"])

    def test_refused_port_is_named(self):
        self.connection.sudo().sftp_port = sshd_fixture.free_port()
        result = self.connection.action_b2b_sftp_test()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("Connection refused", result["params"]["message"])

    def test_dns_failure_is_named(self):
        error = sftp_client.SftpDnsError("x", host="sftp.retailer.example")
        self.assertEqual(
            self.connection._b2b_sftp_error_message(error),
            "DNS: the host name sftp.retailer.example could not be resolved.",
        )

    def test_test_connection_lists_steps_and_names_missing_folder(self):
        result = self.connection.action_b2b_sftp_test()
        self.assertEqual(
            result["params"]["type"], "success", result["params"]["message"]
        )
        for step in ("host key", "logged in as", "processed folder"):
            self.assertIn(step, result["params"]["message"])
        (self.base / "error").rmdir()
        result = self.connection.action_b2b_sftp_test()
        self.assertIn(
            f"Folder missing: the error folder {self.base / 'error'} does not exist",
            result["params"]["message"],
        )

    def test_folder_that_is_a_file_is_told_as_such(self):
        (self.base / "error").rmdir()
        (self.base / "error").write_bytes(b"not a folder")
        self._poll()
        self.assertEqual(
            self.connection.sftp_last_error,
            f"Folder missing: the error folder {self.base / 'error'} is a file on "
            "the server, not a folder.",
        )

    def test_file_name_that_is_not_utf8_is_told_and_the_others_wait(self):
        # "März" saved in Latin-1: SFTP names are UTF-8, the listing fails
        latin1 = os.path.join(os.fsencode(self.inbox), b"Bestellung_M\xe4rz.csv")
        with open(latin1, "wb") as file:
            file.write(csv_file("SF-20"))
        (self.inbox / "SF-21.csv").write_bytes(csv_file("SF-21"))
        self._poll()
        self.assertEqual(
            self.connection.sftp_last_error,
            f"A file name in {self.inbox} is not UTF-8 text, so the folder cannot "
            "be read: ask the retailer to rename the file.",
        )
        self.assertFalse(self._drops())
        os.rename(latin1, os.path.join(os.fsencode(self.inbox), b"SF-20.csv"))
        self._poll()
        self.assertFalse(self.connection.sftp_last_error)
        self.assertEqual(len(self._orders()), 2)

    def test_import_that_breaks_unexpectedly_leaves_the_poll_going(self):
        # a defect of ours met by these files: they get an error file and the
        # managers are told, the scheduled action goes on
        (self.inbox / "SF-22.csv").write_bytes(csv_file("SF-22"))
        Connection = type(self.env["b2b.connection"])
        with (
            patch.object(
                Connection,
                "_b2b_create_received",
                side_effect=RuntimeError("defect met"),
                autospec=True,
            ),
            mute_logger("odoo.addons.b2b_dropship.models.b2b_csv_channel_mixin"),
        ):
            self._poll()
        drop = self._drops()
        self.assertRecordValues(drop, [{"state": "error", "sftp_done": True}])
        self.assertIn("error on the supplier's side", drop.error_summary)
        self.assertNotIn("defect met", drop.error_summary)
        self.assertFalse(self.connection.sftp_last_error)
        self.assertIn("RuntimeError: defect met", self.connection.message_ids[0].body)
        self.assertEqual(
            names(self.base / "error"), ["SF-22.csv", "SF-22.csv.errors.csv"]
        )
        # once fixed, the file is imported again from its form
        drop.action_retry()
        self.assertEqual(drop.state, "imported")
        self.assertEqual(drop.order_id.client_order_ref, "SF-22")

    def test_poll_that_breaks_unexpectedly_leaves_the_others_polled(self):
        # a defect of ours met while polling one retailer (outside the import)
        # is told on its connection; the other retailers are polled all the same
        other_base = self.make_folders("in", "processed", "error", "out")
        other = self.env["b2b.connection"].create(
            dict(
                sftp_values(self.sshd, other_base),
                name="Retailer Two",
                code="retailer-two",
                partner_id=self.env["res.partner"]
                .create({"name": "Retailer Two", "is_company": True})
                .id,
                state="connected",
            )
        )
        self.env["b2b.product.reference"].create(
            {
                "connection_id": other.id,
                "product_id": self.product_a.id,
                "retailer_sku": "R1-CHAIR",
            }
        )
        (self.inbox / "SF-23.csv").write_bytes(csv_file("SF-23"))
        (other_base / "in" / "SF-24.csv").write_bytes(csv_file("SF-24"))
        Connection = type(self.env["b2b.connection"])
        fetch = Connection._b2b_sftp_fetch

        def broken_for_the_first(connection, sftp, settings):
            if connection == self.connection:
                raise RuntimeError("defect met")
            return fetch(connection, sftp, settings)

        with (
            patch.object(Connection, "_b2b_sftp_fetch", broken_for_the_first),
            mute_logger("odoo.addons.b2b_dropship.models.b2b_csv_channel_mixin"),
        ):
            self._poll()
        self.assertEqual(
            self.connection.sftp_last_error,
            "The poll stopped on an error on our side (RuntimeError: defect met): "
            "the next poll finishes the work once the cause is fixed.",
        )
        self.assertIn("RuntimeError: defect met", self.connection.message_ids[0].body)
        self.assertFalse(other.sftp_last_error)
        self.assertEqual(
            self.env["sale.order"]
            .search([("b2b_connection_id", "=", other.id)])
            .mapped("client_order_ref"),
            ["SF-24"],
        )
        self.assertEqual(names(other_base / "processed"), ["SF-24.csv"])
        # the broken connection's file waits in its inbox for the next poll
        self.assertFalse(self._drops())
        self._poll()
        self.assertFalse(self.connection.sftp_last_error)
        self.assertEqual(self._orders().mapped("client_order_ref"), ["SF-23"])

    def test_batches_stop_reading_at_their_size_budget(self):
        # no more files are read once a batch's budget is spent (here during
        # the second file), so that large files never all sit in memory at once
        for index in range(3):
            (self.inbox / f"SF-3{index}.csv").write_bytes(csv_file(f"SF-3{index}"))
        Connection = type(self.env["b2b.connection"])
        import_batch = Connection._b2b_sftp_import
        batches = []

        def recorded(connection, drops, contents):
            batches.append(sorted(drops.mapped("name")))
            return import_batch(connection, drops, contents)

        with (
            patch.object(Connection, "_b2b_sftp_import", recorded),
            patch.object(sftp_channel, "SFTP_BATCH_BYTES", len(csv_file("SF-30")) + 1),
        ):
            self.assertEqual(
                self.connection.action_b2b_sftp_poll()["params"]["type"], "success"
            )
        self.assertEqual(batches, [["SF-30.csv", "SF-31.csv"], ["SF-32.csv"]])
        self.assertEqual(len(self._orders()), 3)
        self.assertEqual(
            names(self.base / "processed"), ["SF-30.csv", "SF-31.csv", "SF-32.csv"]
        )

    def test_missing_folder_is_told_before_taking_any_file(self):
        (self.base / "processed").rmdir()
        (self.inbox / "SF-9.csv").write_bytes(csv_file("SF-9"))
        self._poll()
        self.assertFalse(self._drops())
        self.assertEqual(
            self.connection.sftp_last_error,
            f"Folder missing: the processed folder {self.base / 'processed'} does not "
            "exist on the server.",
        )
        self.assertEqual(names(self.inbox), ["SF-9.csv"])
        (self.base / "processed").mkdir()
        self._poll()
        drop = self._drops()
        self.assertRecordValues(drop, [{"state": "imported", "sftp_done": True}])
        self.assertEqual(len(self._orders()), 1)
        self.assertEqual(names(self.base / "processed"), ["SF-9.csv"])
        self.assertFalse(self.connection.sftp_last_error)

    def test_outbox_is_checked_only_when_shipment_files_are_sent(self):
        (self.base / "out").rmdir()
        result = self.connection.action_b2b_sftp_test()
        self.assertEqual(
            result["params"]["type"], "success", result["params"]["message"]
        )
        self.connection.sftp_outbound_enabled = True
        result = self.connection.action_b2b_sftp_test()
        self.assertIn("Folder missing: the outbox folder", result["params"]["message"])

    def _through_proxy(self):
        proxy = CuttingProxy(self.sshd.port)
        self.addCleanup(proxy.stop)
        self.connection.sudo().sftp_port = proxy.port
        return proxy

    def test_connection_cut_in_the_middle_of_a_download(self):
        # a file larger than one SFTP read, cut after its first kilobytes
        lines = [("CHAIR-01", "", str(quantity)) for quantity in range(1, 400)]
        content = csv_file("SF-10", lines=lines)
        self.assertGreater(len(content), 32_768)
        (self.inbox / "SF-10.csv").write_bytes(content)
        proxy = self._through_proxy()
        original_read = SftpClient.read

        def read_then_cut(client, *args, **kwargs):
            proxy.cut_after(4096)
            return original_read(client, *args, **kwargs)

        with patch.object(SftpClient, "read", read_then_cut):
            self._poll()
        self.assertEqual(proxy.cuts, 1)
        self.assertFalse(self._drops(), "nothing is stored from a partial download")
        self.assertIn("broke while reading", self.connection.sftp_last_error)
        self.assertEqual(len(list(self.inbox.iterdir())), 1)
        self._poll()
        drop = self._drops()
        self.assertRecordValues(drop, [{"state": "imported", "sftp_done": True}])
        self.assertEqual(drop._b2b_content(), content)
        self.assertEqual(len(drop.order_id.order_line), 399)
        self.assertEqual(names(self.base / "processed"), ["SF-10.csv"])

    def test_connection_cut_in_the_middle_of_the_move(self):
        (self.inbox / "SF-11.csv").write_bytes(csv_file("SF-11"))
        (self.inbox / "SF-12.csv").write_bytes(
            csv_file("SF-12", lines=[("NOPE", "", "1")])
        )
        proxy = self._through_proxy()
        original_move = SftpClient.move

        def cut_then_move(client, *args, **kwargs):
            proxy.cut()
            return original_move(client, *args, **kwargs)

        with patch.object(SftpClient, "move", cut_then_move):
            self._poll()
        drops = self._drops()
        # both files were stored and imported, then the connection broke
        self.assertRecordValues(
            drops,
            [
                {"name": "SF-11.csv", "state": "imported", "sftp_done": False},
                {"name": "SF-12.csv", "state": "error", "sftp_done": False},
            ],
        )
        self.assertIn("broke while", self.connection.sftp_last_error)
        self.assertEqual(len(list(self.inbox.iterdir())), 2, "nothing left the inbox")
        self._poll()
        drops = self._drops()
        self.assertRecordValues(
            drops,
            [
                {"name": "SF-11.csv", "state": "imported", "sftp_done": True},
                {"name": "SF-12.csv", "state": "error", "sftp_done": True},
            ],
        )
        self.assertEqual(self._orders().mapped("client_order_ref"), ["SF-11"])
        self.assertEqual(names(self.base / "processed"), ["SF-11.csv"])
        self.assertEqual(
            names(self.base / "error"), ["SF-12.csv", "SF-12.csv.errors.csv"]
        )
        self.assertEqual(names(self.inbox), [])

    def test_file_stored_before_a_crash_is_imported_by_the_next_poll(self):
        """A worker died after storing the file (committed) and before importing
        it: the claimed file is still in the inbox; the next poll recognises it
        by name and checksum and imports the stored file once."""
        content = csv_file("SF-13")
        owner = self.connection._b2b_sftp_owner()
        (self.inbox / sftp_client.claim_name("SF-13.csv", owner)).write_bytes(content)
        stored = self.env["b2b.file.drop"]._b2b_store(
            self.connection,
            "SF-13.csv",
            content,
            "sftp",
            {"sftp_remote_name": "SF-13.csv"},
        )
        self.assertEqual(stored.state, "received")
        self._poll()
        self.assertEqual(self._drops(), stored)
        self.assertRecordValues(stored, [{"state": "imported", "sftp_done": True}])
        self.assertEqual(len(self._orders()), 1)
        self.assertEqual(names(self.base / "processed"), ["SF-13.csv"])

    def test_claims_of_another_database_are_left_alone(self):
        (self.inbox / sftp_client.claim_name("X.csv", "otherdatabase")).write_bytes(
            csv_file("X")
        )
        self._poll()
        self.assertFalse(self._drops())
        self.assertEqual(len(list(self.inbox.iterdir())), 1)

    def test_poll_skips_connection_locked_by_another_worker(self):
        (self.inbox / "SF-14.csv").write_bytes(csv_file("SF-14"))
        with patch.object(type(self.connection), "_b2b_sftp_lock", return_value=False):
            self.assertIsNone(self.connection._b2b_sftp_poll())
        self.assertFalse(self._drops())
        self.assertEqual(names(self.inbox), ["SF-14.csv"])

    def test_suspended_or_disabled_connections_are_not_polled(self):
        (self.inbox / "SF-15.csv").write_bytes(csv_file("SF-15"))
        self.connection.state = "suspended"
        self._poll()
        self.connection.write({"state": "connected", "sftp_enabled": False})
        self._poll()
        self.assertFalse(self._drops())
        self.assertEqual(names(self.inbox), ["SF-15.csv"])

    def test_manual_poll_button(self):
        (self.inbox / "SF-16.csv").write_bytes(csv_file("SF-16"))
        result = self.connection.with_user(self.b2b_manager).action_b2b_sftp_poll()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(self._drops().state, "imported")

    def test_test_and_poll_buttons_are_for_managers(self):
        # both log in to the retailer's server with the connection's secrets
        (self.inbox / "SF-19.csv").write_bytes(csv_file("SF-19"))
        for user in (self.b2b_user, self.portal_user):
            connection = self.connection.with_user(user)
            with self.assertRaises(AccessError):
                connection.action_b2b_sftp_test()
            with self.assertRaises(AccessError):
                connection.action_b2b_sftp_poll()
        self.assertFalse(self._drops())
        self.assertEqual(names(self.inbox), ["SF-19.csv"])
        result = self.connection.with_user(self.b2b_manager).action_b2b_sftp_test()
        self.assertEqual(result["params"]["type"], "success")

    # Shipment files ------------------------------------------------------------

    def _shipment(self, reference="SH-1", number=1):
        order = self._create_request(reference)
        payload = {
            "order": order.name,
            "reference": reference,
            "shipment": number,
            "shipped_at": "2026-03-01 14:05:09",
            "carrier": "DHL Express",
            "tracking": [{"reference": "JD0001", "url": "https://t.example/JD0001"}],
            "lines": [{"sku": "CHAIR-01", "retailer_sku": "R1-CHAIR", "quantity": 2.0}],
        }
        return order, payload

    def _queue(self, order, payload):
        return self.env["b2b.outbound.file"]._b2b_queue_shipments([(order, payload)])

    def test_shipment_files_only_need_no_inbox_on_the_server(self):
        self.connection.write({"sftp_outbound_enabled": True, "sftp_enabled": False})
        self.inbox.rmdir()
        result = self.connection.with_user(self.b2b_manager).action_b2b_sftp_test()
        self.assertEqual(result["params"]["type"], "success")
        outbound = self._queue(*self._shipment("SH-5", 1))
        self._poll()
        self.assertFalse(self.connection.sftp_last_error)
        self.assertEqual(outbound.state, "sent")
        self.assertEqual(names(self.base / "out"), [outbound.name])

    def test_shipment_file_is_written_to_the_outbox(self):
        self.connection.write({"sftp_outbound_enabled": True, "sftp_enabled": False})
        (self.inbox / "SF-17.csv").write_bytes(csv_file("SF-17"))
        outbound = self._queue(*self._shipment("SH-1", 2))
        self.assertRecordValues(
            outbound,
            [
                {
                    "name": "shipment-SH-1-2.csv",
                    "state": "pending",
                    "order_id": self._orders().id,
                }
            ],
        )
        self._poll()
        self.assertRecordValues(
            outbound,
            [
                {
                    "state": "sent",
                    "attempts": 1,
                    "remote_path": str(self.base / "out" / "shipment-SH-1-2.csv"),
                }
            ],
        )
        self.assertEqual(names(self.base / "out"), ["shipment-SH-1-2.csv"])
        self.assertEqual(
            (self.base / "out" / "shipment-SH-1-2.csv")
            .read_bytes()
            .decode()
            .split("\r\n"),
            [
                "order_reference,sku,quantity_shipped,tracking_ref,carrier,shipped_at",
                "SH-1,R1-CHAIR,2,JD0001,DHL Express,2026-03-01T14:05:09Z",
                "",
            ],
        )
        # inbound polling is off: the inbox is left alone
        self.assertEqual(names(self.inbox), ["SF-17.csv"])
        self._poll()
        self.assertEqual(outbound.attempts, 1, "a written file is not written again")

    def test_shipment_event_queues_the_file(self):
        self.connection.sftp_outbound_enabled = True
        order, payload = self._shipment("SH-4", 3)
        order._b2b_emit_event("shipment.confirmed", payload)
        order._b2b_emit_event("order.cancelled", {"reference": "SH-4", "reason": "x"})
        outbound = self.env["b2b.outbound.file"].search([("order_id", "=", order.id)])
        self.assertRecordValues(
            outbound, [{"name": "shipment-SH-4-3.csv", "state": "pending"}]
        )

    def test_no_shipment_file_without_opting_in(self):
        self.assertFalse(self._queue(*self._shipment()))

    def test_shipment_file_write_cut_is_written_again_once(self):
        self.connection.sftp_outbound_enabled = True
        outbound = self._queue(*self._shipment("SH-2"))
        proxy = self._through_proxy()
        original = SftpClient.write_atomic

        def cut_then_write(client, *args, **kwargs):
            proxy.cut()
            return original(client, *args, **kwargs)

        with patch.object(SftpClient, "write_atomic", cut_then_write):
            self._poll()
        self.assertRecordValues(outbound, [{"state": "failed", "attempts": 1}])
        self.assertIn("broke while", outbound.last_error)
        self.assertIn("broke while", self.connection.sftp_last_error)
        self.assertEqual(names(self.base / "out"), [])
        self._poll()
        self.assertRecordValues(
            outbound, [{"state": "sent", "attempts": 2, "last_error": False}]
        )
        self.assertEqual(names(self.base / "out"), ["shipment-SH-2-1.csv"])

    def test_missing_outbox_keeps_the_file_pending(self):
        self.connection.sftp_outbound_enabled = True
        (self.base / "out").rmdir()
        outbound = self._queue(*self._shipment("SH-3"))
        self._poll()
        self.assertEqual(outbound.state, "pending")
        self.assertIn(
            "Folder missing: the outbox folder", self.connection.sftp_last_error
        )
        (self.base / "out").mkdir()
        self._poll()
        self.assertEqual(outbound.state, "sent")


@tagged("post_install", "-at_install")
class TestSftpConcurrentPolls(SshdCase, TransactionCase):
    """Two workers poll the same connection at once, each in its own database
    transaction: one takes the connection, the other skips it at once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base = cls.make_folders("in", "processed", "error", "out")
        # committed data, seen by the workers' own cursors; removed afterwards
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            retailer = env["res.partner"].create(
                {"name": "Race Retailer", "is_company": True}
            )
            product = env["product.product"].create(
                {"name": "Race Chair", "default_code": "RACE-01"}
            )
            connection = env["b2b.connection"].create(
                dict(
                    sftp_values(cls.sshd, cls.base),
                    name="Race Retailer",
                    code="race-retailer",
                    partner_id=retailer.id,
                    state="connected",
                )
            )
            cls.ids = {
                "retailer": retailer.id,
                "product": product.id,
                "connection": connection.id,
            }
        cls.addClassCleanup(cls._remove_committed_data)

    @classmethod
    def _remove_committed_data(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["b2b.connection"].browse(cls.ids["connection"]).unlink()
            env["product.product"].browse(cls.ids["product"]).product_tmpl_id.unlink()
            env["res.partner"].browse(cls.ids["retailer"]).unlink()

    def _poll_in_worker(self, results, name):
        thread = threading.current_thread()
        thread.testing = True  # as every test thread: no commit, no mail sent
        with self.registry.cursor() as cr:
            # the registry is at hand: Registry(dbname) waits for the lock that
            # the test runner holds
            cr.transaction = api.Transaction(self.registry)
            env = api.Environment(cr, SUPERUSER_ID, {})
            connection = env["b2b.connection"].browse(self.ids["connection"])
            started = time.monotonic()
            results[name] = connection._b2b_sftp_poll()
            results[f"{name}_seconds"] = time.monotonic() - started
            results[f"{name}_orders"] = (
                env["sale.order"]
                .search([("b2b_connection_id", "=", connection.id)])
                .mapped("client_order_ref")
            )
            cr.rollback()

    def test_two_polls_at_once_take_each_file_once(self):
        for number in range(3):
            content = csv_file(f"RACE-{number}", lines=[("RACE-01", "", "1")])
            (self.base / "in" / f"RACE-{number}.csv").write_bytes(content)
        first_holds_lock = threading.Event()
        second_done = threading.Event()
        original = SftpClient.list_claims

        def list_claims(client, *args, **kwargs):
            # the first worker pauses inside its poll, holding the connection
            if threading.current_thread().name == "first":
                first_holds_lock.set()
                second_done.wait(30)
            return original(client, *args, **kwargs)

        results = {}
        with patch.object(SftpClient, "list_claims", list_claims):
            first = threading.Thread(
                target=self._poll_in_worker, args=(results, "first"), name="first"
            )
            first.start()
            self.assertTrue(first_holds_lock.wait(30))
            second = threading.Thread(
                target=self._poll_in_worker, args=(results, "second"), name="second"
            )
            second.start()
            second.join(30)
            second_done.set()
            first.join(60)
        self.assertFalse(first.is_alive() or second.is_alive())
        self.assertIsNone(
            results["second"], "the second worker skips the locked connection"
        )
        self.assertLess(
            results["second_seconds"], 5, "and does not wait for the first one"
        )
        self.assertEqual(results["second_orders"], [])
        self.assertEqual(results["first"], 3)
        self.assertEqual(
            sorted(results["first_orders"]), ["RACE-0", "RACE-1", "RACE-2"]
        )
        self.assertEqual(
            names(self.base / "processed"), ["RACE-0.csv", "RACE-1.csv", "RACE-2.csv"]
        )
