import { registry } from "@web/core/registry";

// The whole story of a dropship order, played by two people.
// Data and the order of the tours: tests/test_portal_tour.py.

const tours = registry.category("web_tour.tours");
const SHIPMENT_WIZARD = ".modal:has(.o_field_widget[name=line_ids])";

// 1. The retailer sends a request from its portal.
tours.add("b2b_portal_request_tour", {
    steps: () => [
        { trigger: "#b2b_open_request_count:contains(0)" },
        { trigger: "a.o_b2b_new_request:first", run: "click" },
        { trigger: "form.o_b2b_request_form input[name=reference]", run: "edit TOUR-REQ-1" },
        { trigger: "input[name=ship_to_name]", run: "edit Carla Customer" },
        { trigger: "input[name=ship_to_street]", run: "edit 1 Rue de la Paix" },
        { trigger: "input[name=ship_to_zip]", run: "edit 75002" },
        { trigger: "input[name=ship_to_city]", run: "edit Paris" },
        { trigger: "select[name=ship_to_country_code]", run: "select FR" },
        // our reference for the table, the retailer's own one for the chairs
        { trigger: "input[name=line_0_ref]", run: "edit R1-CHAIR" },
        { trigger: "input[name=line_0_qty]", run: "edit 3" },
        { trigger: "input[name=line_1_ref]", run: "edit TABLE-01" },
        { trigger: "input[name=line_1_qty]", run: "edit 1" },
        { trigger: "textarea[name=note]", run: "edit Gift wrap, please" },
        { trigger: "button.o_b2b_send_request", run: "click" },
        { trigger: ".o_b2b_message:contains(Your request was sent)" },
        { trigger: ".o_b2b_state:contains(Waiting for Answer)" },
        { trigger: ".o_b2b_time_left:contains(left)" },
        { trigger: ".o_b2b_line_answer:contains(Garden Chair):contains(R1-CHAIR)" },
        { trigger: ".o_b2b_portal_nav a[href='/my/b2b']", run: "click" },
        { trigger: "#b2b_open_request_count:contains(1)" },
    ],
});

// 2. The supplier answers it in the backend form.
tours.add("b2b_portal_answer_tour", {
    steps: () => [
        { trigger: ".o_form_view .alert:contains(left)" },
        { trigger: ".o_notebook_headers a[name=b2b]", run: "click" },
        { trigger: ".o_field_widget[name=b2b_note]:contains(Gift wrap, please)" },
        {
            trigger: ".o_field_widget[name=b2b_answer_message] textarea",
            run: "edit Everything is in stock, it ships tomorrow.",
        },
        { trigger: ".o_notebook_headers a[name=order_lines]", run: "click" },
        {
            trigger: ".o_field_widget[name=order_line] .o_data_row:eq(0) td[name=b2b_qty_available]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=order_line] .o_data_row:eq(0) td[name=b2b_qty_available] input",
            run: "edit 3",
        },
        {
            trigger: ".o_field_widget[name=order_line] .o_data_row:eq(1) td[name=b2b_qty_available]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=order_line] .o_data_row:eq(1) td[name=b2b_qty_available] input",
            run: "edit 1",
        },
        { trigger: ".o_form_view button[name=action_b2b_answer]", run: "click" },
        { trigger: ".o_form_view .alert:contains(Answered)" },
        { trigger: ".o_form_view:not(:has(button[name=action_b2b_answer]:visible))" },
    ],
});

// 3. The retailer reads the answer and turns it into an order.
tours.add("b2b_portal_order_tour", {
    steps: () => [
        { trigger: "a:contains(TOUR-REQ-1)", run: "click" },
        { trigger: ".o_b2b_state:contains(Answered)" },
        { trigger: ".o_b2b_answer_message:contains(it ships tomorrow)" },
        { trigger: ".o_b2b_line_answer:contains(Garden Table)" },
        { trigger: "button.o_b2b_convert", run: "click" },
        { trigger: ".o_b2b_message:contains(Your order is confirmed)" },
        { trigger: ".o_b2b_state:contains(To Be Shipped)" },
        { trigger: ".o_b2b_step_ordered" },
    ],
});

// 4. The supplier confirms the shipment, two parcels with their tracking numbers.
tours.add("b2b_portal_ship_tour", {
    steps: () => [
        { trigger: ".o_form_view button[name=action_b2b_confirm_shipment]", run: "click" },
        { trigger: `${SHIPMENT_WIZARD} .o_field_widget[name=carrier_id] input`, run: "edit Tour Parcels" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Tour Parcels)", run: "click" },
        {
            trigger: `${SHIPMENT_WIZARD} .o_field_widget[name=tracking_ref] textarea`,
            run: "edit TOUR-TRACK-1, TOUR-TRACK-2",
        },
        { trigger: `${SHIPMENT_WIZARD} footer button[name=action_confirm]`, run: "click" },
        { trigger: "body:not(:has(.modal))" },
        { trigger: ".o_form_view .alert:contains(Shipped)" },
    ],
});

// 5. The retailer follows the parcels and downloads the packing slip.
tours.add("b2b_portal_tracking_tour", {
    steps: () => [
        { trigger: "a:contains(TOUR-REQ-1)", run: "click" },
        { trigger: ".o_b2b_state:contains(Shipped)" },
        { trigger: ".o_b2b_step_shipped" },
        { trigger: "a.o_b2b_tracking_link[href='https://track.example.com/TOUR-TRACK-1']" },
        { trigger: "a.o_b2b_tracking_link[href='https://track.example.com/TOUR-TRACK-2']" },
        {
            content: "download the packing slip",
            trigger: "a.o_b2b_packing_slip",
            async run(helpers) {
                const response = await fetch(helpers.anchor.href);
                const body = await response.text();
                if (!response.ok || !body.includes("TOUR-REQ-1")) {
                    throw new Error(`Packing slip download failed (${response.status})`);
                }
                document.body.classList.add("o_b2b_slip_downloaded");
            },
        },
        { trigger: "body.o_b2b_slip_downloaded" },
    ],
});

// On a phone: the retailer finds an answered request from the cockpit and orders it.
tours.add("b2b_portal_phone_tour", {
    steps: () => [
        { trigger: "#b2b_open_request_count:contains(1)" },
        { trigger: ".o_b2b_portal_nav a[href='/my/b2b/requests']", run: "click" },
        { trigger: "a:contains(PHONE-REQ)", run: "click" },
        { trigger: ".o_b2b_state:contains(Answered)" },
        { trigger: "button.o_b2b_convert:visible", run: "click" },
        { trigger: ".o_b2b_message:contains(Your order is confirmed)" },
        { trigger: ".o_b2b_portal_nav a[href='/my/b2b']", run: "click" },
        { trigger: "#b2b_to_ship_count:contains(1)" },
    ],
});
