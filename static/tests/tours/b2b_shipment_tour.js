import { registry } from "@web/core/registry";

const WIZARD = ".modal:has(.o_field_widget[name=line_ids])";

// Data: tests/test_shipment_tour.py (one order of 5 chairs, a carrier "Tour Express")
registry.category("web_tour.tours").add("b2b_shipment_tour", {
    steps: () => [
        // first parcel: 3 of the 5 chairs
        { trigger: ".o_form_view .alert:contains(left)" },
        { trigger: ".o_form_view button[name=action_b2b_confirm_shipment]", run: "click" },
        { trigger: `${WIZARD} .o_data_row:first td[name=remaining_qty]:contains(5)` },
        { trigger: `${WIZARD} .o_data_row:first td[name=reserved_qty]:contains(5)` },
        { trigger: `${WIZARD} .o_data_row:first td[name=quantity]`, run: "click" },
        { trigger: `${WIZARD} .o_data_row:first td[name=quantity] input`, run: "edit 3" },
        { trigger: `${WIZARD} .o_field_widget[name=carrier_id] input`, run: "edit Tour Express" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Tour Express)", run: "click" },
        { trigger: `${WIZARD} .o_field_widget[name=tracking_ref] textarea`, run: "edit TOUR-PARCEL-1" },
        { trigger: `${WIZARD} .o_field_widget[name=message] textarea`, run: "edit Enjoy!" },
        { trigger: `${WIZARD} footer button[name=action_confirm]`, run: "click" },
        { trigger: "body:not(:has(.modal))" },
        // the rest ships later: the wizard offers the 2 chairs left
        { trigger: ".o_form_view button[name=action_b2b_confirm_shipment]", run: "click" },
        { trigger: `${WIZARD} .o_data_row:first td[name=quantity]:contains(2)` },
        { trigger: `${WIZARD} .o_field_widget[name=carrier_id] input`, run: "edit Tour Express" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Tour Express)", run: "click" },
        { trigger: `${WIZARD} .o_field_widget[name=tracking_ref] textarea`, run: "edit TOUR-PARCEL-2" },
        { trigger: `${WIZARD} footer button[name=action_confirm]`, run: "click" },
        { trigger: "body:not(:has(.modal))" },
        { trigger: ".o_form_view .alert:contains(Shipped)" },
        { trigger: ".o_form_view:not(:has(button[name=action_b2b_confirm_shipment]:visible))" },
    ],
});
