import { Component } from "@odoo/owl";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";

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

    async addToDashboard() {
        // The services are taken from env, not useService: selecting the item
        // closes the menu and destroys this component, and useService would
        // leave the answer of the server unhandled.
        const { config, searchModel, services } = this.env;
        const action = await services.orm.call("b2b.dashboard.widget", "action_create_from_search", [
            config.getDisplayName(),
            searchModel.resModel,
            searchModel.domainString,
        ]);
        await services.action.doAction(action);
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
