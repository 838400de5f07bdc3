// Scan-first entry: every scan gets an id (a resent scan counts once), the field is emptied
// for the next code at once and keeps the focus, and the result is heard and seen: a short
// high tone and green for a line added, a low tone and red for a refusal.
//
// A scanner types faster than the server answers. A scan's code and its count are taken
// from the fields when its Enter is pressed, and the fields emptied then: a scan waiting
// for the one before it (hx-sync queue) carries its own code, not what has been typed
// since. The lines it is added to are read when it is sent, after the one before it has
// been drawn. A count (and a batch, expiry or serial typed beside) is that one scan's: refused or
// not, the next scan has none unless one is typed for it (kept, it would count some
// other item 20 times, or give it another item's batch).
let htmxReady = false;
const scannedBeforeReady = [];

window.JXC = {
  scanId: function () {
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  },
  send: function (code) {
    const scan = document.getElementById("scan");
    const count = document.getElementById("quantity");
    const batch = document.getElementById("scan-batch");
    const expiry = document.getElementById("scan-expiry");
    const produced = document.getElementById("scan-production");
    const serial = document.getElementById("scan-serial");
    if (!scan || !code.trim()) { return; }
    const detail = { code: code, count: count ? count.value : "", batch: batch ? batch.value : "",
                     expiry: expiry ? expiry.value : "", serial: serial ? serial.value : "",
                     production: produced ? produced.value : "", scanId: JXC.scanId() };
    if (count) { count.value = ""; }
    if (batch) { batch.value = ""; }
    if (expiry) { expiry.value = ""; }
    if (produced) { produced.value = ""; }
    if (serial) { serial.value = ""; }
    if (htmxReady) { htmx.trigger(scan, "jxc:scan", detail); } else { scannedBeforeReady.push(detail); }
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

// Enter in the scan field sends the scan, not the whole form (a scanner ends with Enter).
// This file runs before the page is parsed, htmx only after: on a slow phone the field is
// on screen first, and scans made then are sent as soon as htmx is ready.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Enter") { return; }
  // Enter in any other field of a scan screen (a count, a line's quantity, cost or price,
  // the note, a location) goes back to the scan field: it must not hand in the
  // half-scanned document. Only the button does.
  const field = event.target.closest("#entry input");
  if (field && field.id !== "scan") {
    event.preventDefault();
    const scan = document.getElementById("scan");
    if (scan) { scan.focus(); }
    return;
  }
  if (event.target.id !== "scan") { return; }
  event.preventDefault();
  const code = event.target.value;
  event.target.value = "";
  JXC.send(code);
});

document.addEventListener("htmx:load", function (event) {
  if (event.target !== document.body || htmxReady) { return; }
  htmxReady = true;
  const scan = document.getElementById("scan");
  for (const detail of scannedBeforeReady.splice(0)) { htmx.trigger(scan, "jxc:scan", detail); }
});

// A short pick is confirmed for the lines as they stood: a scan or a line taken out
// changes them, and the confirmation with them.
document.addEventListener("htmx:afterSwap", function () {
  const confirmed = document.getElementById("short-confirmed");
  if (confirmed) { confirmed.checked = false; }
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

// A phone's camera as the scanner (html5-qrcode): each code read goes in as if typed and
// Enter pressed. The camera reads a code many times a second while it is in view: it
// counts once, and again only after it has been out of view (to scan the next box of it):
// missing from several frames in a row, for long enough. Time alone is not enough: a slow
// phone decodes a code still in view less than once a second.
document.addEventListener("DOMContentLoaded", function () {
  const button = document.getElementById("camera");
  const scan = document.getElementById("scan");
  if (!button || !scan || !window.Html5Qrcode || !navigator.mediaDevices) { return; }
  button.hidden = false;
  const label = button.textContent;
  const formats = Html5QrcodeSupportedFormats;
  const GONE_AFTER_MS = 700;
  const GONE_AFTER_FRAMES = 3;
  let camera = null;
  let inView = { text: "", seen: 0 };
  let framesWithout = 0;
  function read(text) {
    const now = Date.now();
    const gone = framesWithout >= GONE_AFTER_FRAMES && now - inView.seen >= GONE_AFTER_MS;
    const again = text === inView.text && !gone;
    inView = { text: text, seen: now };
    framesWithout = 0;
    if (again) { return; }
    JXC.send(text);
  }
  function stop() {
    const running = camera;
    camera = null;
    button.textContent = label;
    document.getElementById("camera-view").hidden = true;
    if (running) { running.stop().catch(function () {}); }
  }
  button.addEventListener("click", function () {
    if (camera) { stop(); return; }
    document.getElementById("camera-view").hidden = false;
    camera = new Html5Qrcode("camera-view", {
      formatsToSupport: [formats.EAN_13, formats.EAN_8, formats.UPC_A, formats.CODE_128,
                         formats.QR_CODE, formats.DATA_MATRIX],
      verbose: false,
    });
    button.textContent = button.dataset.stop;
    const box = function (width, height) {
      return { width: Math.max(50, Math.floor(width * 0.8)),
               height: Math.max(50, Math.floor(height * 0.7)) };
    };
    camera.start({ facingMode: "environment" }, { fps: 10, qrbox: box }, read,
                 function () { framesWithout += 1; /* no code in this frame */ })
      .catch(function (error) {
        stop();
        const message = document.getElementById("scan-message");
        if (message) { message.textContent = String(error); message.className = "scan-error"; }
      });
  });
});

// On a phone a list's header row is hidden and each row wraps as a card: every cell
// carries its column's name (shown before it by the stylesheet), or 4 0 4 台 would not say
// which is on hand and which available. Lines redrawn by htmx are named again.
function nameCells(root) {
  for (const table of root.querySelectorAll("table.list")) {
    const names = Array.from(table.querySelectorAll("thead th"), (th) => th.textContent.trim());
    for (const row of table.querySelectorAll("tbody tr")) {
      if (row.cells.length && row.cells[0].dataset.label) { continue; }  // named already
      let column = 0;
      for (const cell of row.cells) {
        const name = names[column];
        if (name && !cell.hasAttribute("colspan")) { cell.dataset.label = name; }
        column += cell.colSpan || 1;
      }
    }
  }
}
document.addEventListener("DOMContentLoaded", function () { nameCells(document); });
document.addEventListener("htmx:afterSettle", function () { nameCells(document); });
