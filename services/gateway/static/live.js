// Live progress, for pages that work without it: a part marked data-live that also says
// data-under-way is read again from the same address every two seconds and put in place (its
// aria-live region announces the change), until the page says the work is done. No other host, no
// inline script (the Content-Security-Policy forbids both).
(function () {
  "use strict";
  var EVERY_MS = 2000;
  function current() { return document.querySelector("[data-live]"); }
  function poll() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (answer) { return answer.ok ? answer.text() : Promise.reject(answer.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
        var shown = current();
        if (!fresh || !shown) { return; }
        shown.innerHTML = fresh.innerHTML;
        if (fresh.hasAttribute("data-under-way")) { window.setTimeout(poll, EVERY_MS); }
        else { shown.removeAttribute("data-under-way"); }
      })
      .catch(function () { window.setTimeout(poll, EVERY_MS * 5); });
  }
  var part = current();
  if (part && part.hasAttribute("data-under-way")) { window.setTimeout(poll, EVERY_MS); }
}());
