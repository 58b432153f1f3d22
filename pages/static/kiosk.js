// The wall board (pages/kiosk): ticking ages and clock, changed blocks from the server, the reconnect guard.
(() => {
  const cfg = JSON.parse(document.getElementById("kiosk-config").textContent);
  // The TV's own clock may be wrong: ages and the clock follow the server's.
  const skew = cfg.server_now - Date.now();
  const pad = (n) => String(n).padStart(2, "0");
  function age(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds < 3600) return Math.floor(seconds / 60) + ":" + pad(seconds % 60);
    if (seconds < 86400) return Math.floor(seconds / 3600) + " h " + pad(Math.floor(seconds % 3600 / 60));
    return Math.floor(seconds / 86400) + " " + cfg.day + " " + pad(Math.floor(seconds % 86400 / 3600)) + " h";
  }
  function tick() {
    const now = Date.now() + skew;
    document.querySelectorAll("[data-since]").forEach((el) => {
      const waited = (now - Number(el.dataset.since)) / 1000;
      el.textContent = age(waited);
      const row = el.closest(".row.unassigned");
      if (row) {
        const level = waited >= cfg.alert ? 3 : waited >= cfg.warn ? 2 : 1;
        if (!row.classList.contains("wait-" + level)) {
          row.classList.remove("wait-1", "wait-2", "wait-3");
          row.classList.add("wait-" + level);
        }
      }
    });
    const date = new Date(now);
    const clock = document.getElementById("kiosk-clock");
    const time = {hour: "2-digit", minute: "2-digit", timeZone: cfg.tz};
    if (clock) clock.textContent = date.toLocaleTimeString(cfg.lang, time);
    const day = document.getElementById("kiosk-date");
    const today = {weekday: "long", day: "numeric", month: "long", timeZone: cfg.tz};
    if (day) day.textContent = date.toLocaleDateString(cfg.lang, today);
    const popup = document.getElementById("popup");
    if (popup && !popup.dataset.text) popup.dataset.text = cfg.reconnecting;
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  // Changed blocks arrive as one broadcast per language and privacy setting, not as NiceGUI
  // updates: set them on the elements' data, and Vue redraws them. The listener goes on the
  // socket as NiceGUI creates it, before it can connect, so no message is missed.
  function show(blocks) {
    for (const [name, html] of Object.entries(blocks)) {
      const element = typeof mounted_app === "undefined" ? null : mounted_app.elements[cfg.blocks[name]];
      if (element) element.props.innerHTML = html;
    }
    tick();
  }
  let socket;
  Object.defineProperty(window, "socket", {
    configurable: true,
    get: () => socket,
    set: (value) => { socket = value; socket.on(cfg.event, show); },
  });
  // Never let NiceGUI reload into the browser's error page: no connect timeout, and reload
  // ourselves only when the server answers but the socket still cannot resume.
  let downSince = null;
  setInterval(async () => {
    if (!window.socket) return;
    if (window.socket.io._timeout !== false) window.socket.io.timeout(false);
    if (window.socket.connected) { downSince = null; return; }
    downSince = downSince || Date.now();
    if (Date.now() - downSince < 15000) return;
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 4000);
      const answer = await fetch("/healthz", {cache: "no-store", signal: controller.signal});
      if (answer.ok) window.location.reload();
    } catch (e) { /* still down: keep the overlay */ }
  }, 5000);
})();
