// The remote viewer (pages/screens/remote_viewer.py): noVNC's RFB on the bridge, with a one-use token,
// and its bar: the connection's state, Reconnect after a lost connection, fit or actual size,
// Ctrl+Alt+Del (control mode only), full screen.
import RFB from "/novnc/core/rfb.js";
const cfg = JSON.parse(document.getElementById("remote-config").textContent);
const $ = (id) => document.getElementById(id);
const status = (text) => { $("remote-status").textContent = text; };
const rfb = new RFB($("screen"), cfg.url + "?token=" + encodeURIComponent(cfg.token));
rfb.viewOnly = cfg.viewOnly;
rfb.scaleViewport = true;
rfb.focusOnClick = true;
rfb.addEventListener("connect", () => { status(cfg.text.connected); rfb.focus(); });
rfb.addEventListener("disconnect", (event) => {
  // A clean end is the session ending (the ticket page then says why); anything else is a lost
  // connection: say so and offer to connect again (the page asks for a new token).
  status(event.detail.clean ? cfg.text.ended : cfg.text.lost);
  $("remote-retry").hidden = event.detail.clean;
});
$("remote-retry").addEventListener("click", () => window.location.reload());
$("remote-scale").addEventListener("click", (event) => {
  rfb.scaleViewport = !rfb.scaleViewport;
  event.target.setAttribute("aria-pressed", String(rfb.scaleViewport));
  event.target.textContent = rfb.scaleViewport ? cfg.text.fit : cfg.text.actual;
});
const cad = $("remote-cad");
if (cad) cad.addEventListener("click", () => { rfb.sendCtrlAltDel(); rfb.focus(); });
$("remote-fullscreen").addEventListener("click", () => {
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen().catch(() => {});
});
document.addEventListener("fullscreenchange", () => {
  $("remote-fullscreen").textContent = document.fullscreenElement ? cfg.text.exitFullscreen : cfg.text.fullscreen;
});
rfb.addEventListener("credentialsrequired", () => {
  const box = $("remote-password");
  box.style.display = "flex";
  box.querySelector("form").onsubmit = (e) => {
    e.preventDefault();
    box.style.display = "none";
    // Straight to the workstation through the bridge: never sent to the helpdesk, never stored.
    rfb.sendCredentials({password: box.querySelector("input").value});
    box.querySelector("input").value = "";
  };
});
window.helpdeskRfb = rfb;
