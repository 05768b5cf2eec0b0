// Follows the verification live: polls /account/status.json every 2 s, updates the countdown,
// and moves on when the account is verified or the registration expired. The page works
// without it (it refreshes itself).
(function () {
  var box = document.getElementById("verification-status");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.is_verified) { window.location.assign("/account"); return; }
        if (s.is_expired) { window.location.assign("/account/verification?expired=1"); return; }
        var left = document.getElementById("remaining-time");
        if (left && s.remaining_time) { left.textContent = s.remaining_time; }
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
