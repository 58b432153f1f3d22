// The remote viewer (pages/screens/remote_viewer.py): noVNC's RFB on the bridge, with a one-use token.
import RFB from "/novnc/core/rfb.js";
const cfg = JSON.parse(document.getElementById("remote-config").textContent);
const status = (text) => { document.getElementById("remote-status").textContent = text; };
const rfb = new RFB(document.getElementById("screen"), cfg.url + "?token=" + encodeURIComponent(cfg.token));
rfb.viewOnly = cfg.viewOnly;
rfb.scaleViewport = true;
rfb.focusOnClick = true;
rfb.addEventListener("connect", () => { status(cfg.text.connected); rfb.focus(); });
rfb.addEventListener("disconnect", () => status(cfg.text.ended));
rfb.addEventListener("credentialsrequired", () => {
  const box = document.getElementById("remote-password");
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
