// Nothing a user typed is lost (pages/components/chat_panel.py, pages/screens/ticket_new.py).
// Text typed in a field marked data-draft="<key>" is kept in this browser (localStorage) until
// the server says it saved it, so it survives a reload, a dropped connection and a server restart.
// Enter or a [data-send] button while the server cannot be reached sends nothing: the text stays
// and the composer's [data-unsent] notice says so; its [data-retry] button sends once online.
(() => {
  const PREFIX = "helpdesk-draft:";
  const read = (key) => {
    try {
      return localStorage.getItem(PREFIX + key) || "";
    } catch {
      return "";
    }
  };
  const write = (key, value) => {
    try {
      if (value) localStorage.setItem(PREFIX + key, value);
      else localStorage.removeItem(PREFIX + key);
    } catch {
      // storage full or refused: the text is still on the page
    }
  };
  window.helpdeskDrafts = {
    read: (keys) => Object.fromEntries(keys.map((key) => [key, read(key)])),
    set: (entries) => Object.entries(entries).forEach(([key, value]) => write(key, value)),
    clearAll: () => {
      for (let i = localStorage.length - 1; i >= 0; i--) {
        const key = localStorage.key(i);
        if (key && key.startsWith(PREFIX)) localStorage.removeItem(key);
      }
    },
  };

  const draftKey = (target) => target.closest && target.closest("[data-draft]")?.dataset.draft;
  document.addEventListener("input", (event) => {
    const key = draftKey(event.target);
    if (key && typeof event.target.value === "string") write(key, event.target.value);
  });

  const online = () => Boolean(window.socket && window.socket.connected);
  const showUnsent = (from) => {
    const notice = from.closest("[data-composer]")?.querySelector("[data-unsent]");
    if (notice) notice.classList.remove("hidden");
  };
  const hold = (event, from) => {
    event.preventDefault();
    event.stopImmediatePropagation();
    showUnsent(from);
  };

  document.addEventListener(
    "keydown",
    (event) => {
      if (event.key !== "Enter" || event.shiftKey || event.ctrlKey || event.altKey || event.metaKey) return;
      if (!event.target.closest || !event.target.closest("[data-composer] [data-draft]")) return;
      if (!online()) hold(event, event.target);
    },
    true,
  );
  document.addEventListener(
    "click",
    (event) => {
      if (!event.target.closest) return;
      const retry = event.target.closest("[data-retry]");
      const send = event.target.closest("[data-send]");
      if (!retry && !send) return;
      if (!online()) return hold(event, retry || send);
      if (retry) retry.closest("[data-composer]")?.querySelector("[data-send]")?.click();
    },
    true,
  );
  // Signing out leaves no draft behind for the next person at this browser.
  document.addEventListener(
    "submit",
    (event) => {
      if (event.target.matches && event.target.matches('form[action="/auth/logout"]')) window.helpdeskDrafts.clearAll();
    },
    true,
  );
})();
