import { Component } from "@odoo/owl";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { useService } from "@web/core/utils/hooks";

// The models a dashboard widget can show (b2b.dashboard.widget.res_model).
export const DASHBOARD_MODELS = ["sale.order"];

/**
 * "Add to dashboard" in the gear menu of a search: the search's filters (the
 * action's domain and the active facets, unevaluated, group-bys left aside)
 * become a new dashboard widget, whose options the user sets in a small form.
 */
export class B2bAddToDashboard extends Component {
    static template = "b2b_dropship.AddToDashboard";
    static components = { DropdownItem };
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
    }

    async addToDashboard() {
        const { config, searchModel } = this.env;
        const action = await this.orm.call("b2b.dashboard.widget", "action_create_from_search", [
            config.getDisplayName(),
            searchModel.resModel,
            searchModel.domainString,
        ]);
        await this.action.doAction(action);
    }
}

export const addToDashboardItem = {
    Component: B2bAddToDashboard,
    groupNumber: 20,
    isDisplayed: async ({ config, searchModel }) =>
        config.actionType === "ir.actions.act_window" &&
        config.viewType !== "form" &&
        DASHBOARD_MODELS.includes(searchModel?.resModel) &&
        (await user.hasGroup("b2b_dropship.group_b2b_user")),
};

registry.category("cogMenu").add("b2b-add-to-dashboard", addToDashboardItem, { sequence: 11 });
