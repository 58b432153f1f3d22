// Keyboard shortcuts on every signed-in page (listed by "?"): "/" search, "j"/"k" move between
// tickets, Enter open (the focused link), "n" new ticket, "g" then "q" the queue. Keys typed into
// a field, with Ctrl/Alt/Meta, or while a dialog is open are left alone.
(() => {
  let pendingG = 0;
  const typing = (el) =>
    el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
  const moveBetweenTickets = (step) => {
    const links = [...document.querySelectorAll(".ticket-table a.ticket-link")];
    if (!links.length) return;
    const at = links.indexOf(document.activeElement);
    const next = at === -1 ? (step > 0 ? 0 : links.length - 1) : Math.min(Math.max(at + step, 0), links.length - 1);
    links[next].focus();
    links[next].scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
    if (typing(event.target) || document.querySelector(".q-dialog")) return;
    if (!document.querySelector("[data-shortcuts]")) return; // signed-in pages only
    const key = event.key;
    if (pendingG && Date.now() - pendingG < 1500 && key === "q") {
      pendingG = 0;
      event.preventDefault();
      window.location.href = "/";
      return;
    }
    pendingG = 0;
    if (key === "?") {
      event.preventDefault();
      emitEvent("helpdesk-shortcuts");
    } else if (key === "/") {
      const search = document.querySelector("input[data-shortcut=search], [data-shortcut=search] input");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
    } else if (key === "j" || key === "k") {
      event.preventDefault();
      moveBetweenTickets(key === "j" ? 1 : -1);
    } else if (key === "n") {
      event.preventDefault();
      window.location.href = "/tickets/new";
    } else if (key === "g") {
      pendingG = Date.now();
    }
  });
})();
