// Scan-first entry: every scan gets an id (a resent scan counts once), the field is emptied
// for the next code at once and keeps the focus, and the result is heard and seen: a short high tone and green for a
// line added, a low tone and red for a refusal.
window.JXC = {
  scanId: function () {
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  },
  tone: function (ok) {
    try {
      const audio = new (window.AudioContext || window.webkitAudioContext)();
      const oscillator = audio.createOscillator();
      oscillator.frequency.value = ok ? 1200 : 220;
      oscillator.connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + (ok ? 0.08 : 0.3));
    } catch (e) { /* no sound on this device */ }
  },
};

// The field is free for the next code as soon as a scan is sent: a scanner does not wait.
document.addEventListener("htmx:beforeRequest", function (event) {
  if (event.target.id === "scan") { event.target.value = ""; }
});

// Enter in the scan field sends the scan, not the whole form (a scanner ends with Enter).
document.addEventListener("keydown", function (event) {
  if (event.target.id === "scan" && event.key === "Enter") { event.preventDefault(); }
});

document.addEventListener("htmx:beforeSwap", function (event) {
  // A refused scan (422) still replaces the lines, to show the message next to the field.
  if (event.detail.xhr.status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// After the settle: htmx keeps the old classes of same-id elements until then.
document.addEventListener("htmx:afterSettle", function (event) {
  if (event.detail.target.id !== "lines" && event.target.id !== "lines") { return; }
  const scan = document.getElementById("scan");
  const message = document.getElementById("scan-message");
  const failed = message && message.classList.contains("scan-error");
  if (scan) {
    scan.classList.toggle("refused", failed);
    scan.classList.toggle("accepted", !failed);
    scan.focus();
  }
  JXC.tone(!failed);
});
