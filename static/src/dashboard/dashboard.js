import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { deserializeDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { remainingTime } from "./remaining_time";

const MODEL = "b2b.dashboard.widget";
const TICK_DELAY = 30000; // remaining times
const REFRESH_DELAY = 60000; // counters and records

// Bootstrap columns per widget width: one column on a phone, two on a tablet
// for the narrow widgets, the chosen share from a laptop on.
const WIDTH_CLASSES = {
    25: "col-12 col-md-6 col-lg-3",
    33: "col-12 col-md-6 col-lg-4",
    50: "col-12 col-lg-6",
    66: "col-12 col-lg-8",
    100: "col-12",
};

/**
 * One widget: its records with their live remaining time, its counters and
 * its tool menu.
 */
export class B2bDashboardWidget extends Component {
    static template = "b2b_dropship.DashboardWidget";
    static components = { Dropdown, DropdownItem };
    static props = {
        widget: Object,
        now: Number,
        dashboard: Object,
    };

    /** The column holding the link to the record: the reference, else the first one. */
    linkColumn() {
        const codes = this.props.widget.columns.map((column) => column.code);
        return codes.includes("reference") ? "reference" : codes[0];
    }

    remaining(record) {
        if (!record.deadlineDate) {
            return { text: record.columns.remaining_time || "", status: "" };
        }
        return remainingTime(record.deadlineDate, this.props.now, record.b2b_state);
    }

    cellText(record, code) {
        if (code === "remaining_time") {
            return this.remaining(record).text;
        }
        const value = record.columns[code] || "";
        return code === this.linkColumn() && !value ? record.name : value;
    }

    cellClass(record, code) {
        if (code !== "remaining_time") {
            return "";
        }
        const status = this.remaining(record).status;
        return { late: "text-danger", soon: "text-warning" }[status] || "";
    }
}

/**
 * The supplier's dashboard: the user's widgets, their counters and first
 * records, all from b2b.dashboard.widget.get_dashboard().
 */
export class B2bDashboard extends Component {
    static template = "b2b_dropship.Dashboard";
    static components = { B2bDashboardWidget, Dropdown, DropdownItem };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.dialog = useService("dialog");
        this.counter = useService("b2b_dashboard_counter");
        this.state = useState({ widgets: [], loaded: false, now: Date.now() });
        // what the widgets may ask of the dashboard
        this.dashboardActions = {
            openRecord: (record) => this.openRecord(record),
            openAll: (widget) => this.openAll(widget),
            resetCounter: (widget) => this.resetCounter(widget),
            editWidget: (widget) => this.editWidget(widget),
            removeWidget: (widget) => this.removeWidget(widget),
            printAll: () => this.printAll(),
        };

        onWillStart(() => this.load());
        onMounted(() => {
            this.tickTimer = setInterval(() => (this.state.now = Date.now()), TICK_DELAY);
            this.refreshTimer = setInterval(() => {
                if (!document.hidden) {
                    this.load({ silent: true });
                }
            }, REFRESH_DELAY);
        });
        onWillUnmount(() => {
            clearInterval(this.tickTimer);
            clearInterval(this.refreshTimer);
        });
    }

    async load({ silent = false } = {}) {
        const orm = silent ? this.orm.silent : this.orm;
        const widgets = await orm.call(MODEL, "get_dashboard", []);
        for (const widget of widgets) {
            for (const record of widget.records) {
                record.deadlineDate = record.deadline ? deserializeDateTime(record.deadline) : null;
            }
        }
        this.state.widgets = widgets;
        this.state.now = Date.now();
        this.state.loaded = true;
        this.counter.setUnread(this.unreadTotal);
    }

    get unreadTotal() {
        return this.state.widgets.reduce(
            (sum, widget) => sum + (widget.alert_dashboard ? widget.unread : 0),
            0
        );
    }

    widthClass(widget) {
        return WIDTH_CLASSES[widget.width] || WIDTH_CLASSES[50];
    }

    // Handlers ------------------------------------------------------------

    openRecord(record) {
        this.actionService.doAction({
            type: "ir.actions.act_window",
            res_model: record.res_model,
            res_id: record.id,
            views: [[false, "form"]],
        });
    }

    async openAll(widget) {
        const action = await this.orm.call(MODEL, "action_open_records", [[widget.id]]);
        await this.actionService.doAction(action);
    }

    async resetCounter(widget) {
        await this.orm.call(MODEL, "action_reset_counter", [[widget.id]]);
        await this.load();
    }

    async editWidget(widget) {
        const action = await this.orm.call(MODEL, "action_edit", [[widget.id]]);
        await this.actionService.doAction(action, { onClose: () => this.load() });
    }

    removeWidget(widget) {
        this.dialog.add(ConfirmationDialog, {
            title: _t("Remove the widget"),
            body: _t("Remove “%(name)s” from your dashboard?", { name: widget.name }),
            confirmLabel: _t("Remove"),
            confirm: async () => {
                await this.orm.unlink(MODEL, [widget.id]);
                await this.load();
            },
            cancel: () => {},
        });
    }

    async printAll() {
        const action = await this.orm.call("sale.order", "action_b2b_print_unprinted_slips", []);
        await this.actionService.doAction(action, { onClose: () => this.load() });
        await this.load();
    }

    async markAllRead() {
        await this.orm.call(MODEL, "action_mark_all_read", []);
        await this.load();
    }

    resetToDefault() {
        this.dialog.add(ConfirmationDialog, {
            title: _t("Reset dashboard to default"),
            body: _t(
                "Your widgets will be replaced by the default ones. Widgets you added or changed will be lost."
            ),
            confirmLabel: _t("Reset"),
            confirm: async () => {
                await this.orm.call(MODEL, "action_reset_to_default", []);
                await this.load();
            },
            cancel: () => {},
        });
    }

    manageWidgets() {
        this.actionService.doAction("b2b_dropship.b2b_dashboard_widget_action");
    }
}

registry.category("actions").add("b2b_dropship.dashboard", B2bDashboard);
