// Time left, counted down in the browser (pages/components/controls.py `countdown`): the element's
// `data-countdown` is the seconds left when the server drew it (so the two clocks need not agree),
// `data-countdown-text` the sentence with {time} in it. Quiet for screen readers: no live region.
(() => {
  const deadlines = new WeakMap();
  const tick = () => {
    for (const element of document.querySelectorAll("[data-countdown]")) {
      if (!deadlines.has(element)) deadlines.set(element, performance.now() + 1000 * Number(element.dataset.countdown));
      const left = Math.max(0, Math.round((deadlines.get(element) - performance.now()) / 1000));
      const time = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
      const text = element.dataset.countdownText.replace("{time}", time);
      if (element.textContent !== text) element.textContent = text;
    }
  };
  setInterval(tick, 1000);
})();
