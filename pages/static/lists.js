// Ticket lists (pages/components/ticket_table.py): a click anywhere on a row follows the row's own
// link, as the title's link does; a click with a modifier, on a control, or that selects text does not.
document.addEventListener("click", (event) => {
  const row = event.target.closest && event.target.closest(".ticket-table tbody tr");
  if (!row || event.defaultPrevented || event.button !== 0) return;
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  if (event.target.closest("a, button, input, label, .q-checkbox")) return;
  if (String(window.getSelection && window.getSelection())) return;
  const link = row.querySelector("a.ticket-link");
  if (link) link.click();
});

// The queue writes its view, filters and page into the address (history.pushState); Back and
// Forward change the address without asking the server, so the page loads again to show it.
window.addEventListener("popstate", () => {
  if (document.querySelector("[data-url-state]")) window.location.reload();
});
