// Follows a password recovery by phone: polls /account/reset/phone/status.json every 2 s,
// updates the countdown, and reloads the page (which then shows the new-password form or
// why the recovery ended) once the call came or the time ran out. Without it the page
// refreshes itself.
(function () {
  var box = document.getElementById("recovery-status");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.status !== "pending") { window.location.reload(); return; }
        var left = document.getElementById("remaining-time");
        if (left && s.remaining_time) { left.textContent = s.remaining_time; }
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
