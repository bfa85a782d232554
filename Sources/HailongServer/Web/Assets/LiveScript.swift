/// `/static/live.js`: the overview's headline follows new ratings without a reload. It asks
/// `/units/{code}/live` at most every 5 s and only while the page is visible (a manager's
/// background tabs cost the server nothing), backs off to 60 s after errors, and sends the last
/// answer's ETag so an unchanged headline costs a 304. Without JavaScript the page is complete.
enum LiveScript {
    static let js = #"""
        (function () {
          "use strict";
          var section = document.querySelector("[data-live]");
          if (!section) return;
          var url = section.getAttribute("data-live");
          var status = document.getElementById("live-status");
          var etag = null, delay = 5000, timer = null;
          function set(id, value, text) {
            var el = document.getElementById(id);
            if (!el) return;
            el.setAttribute("value", value);
            el.textContent = text;
          }
          function schedule() {
            clearTimeout(timer);
            if (document.visibilityState === "visible") timer = setTimeout(poll, delay);
          }
          function poll() {
            var headers = {"Accept": "application/json"};
            if (etag) headers["If-None-Match"] = etag;
            fetch(url, {headers: headers, credentials: "same-origin", cache: "no-store"}).then(function (response) {
              if (response.status === 304) { delay = 5000; return null; }
              if (!response.ok) throw new Error(String(response.status));
              etag = response.headers.get("ETag");
              return response.json();
            }).then(function (h) {
              if (h) {
                set("headline-rate", h.rateValue, h.rateText);
                set("headline-n", h.total, h.totalText);
                set("headline-wilson-low", h.lowValue, h.lowText);
                set("headline-wilson-high", h.highValue, h.highText);
                set("headline-response", h.responseValue, h.responseText);
                var note = document.getElementById("headline-insufficient");
                if (note) note.hidden = !h.insufficient;
                if (status) status.textContent = h.updatedText;
              }
              delay = 5000;
            }).catch(function () {
              delay = Math.min(delay * 2, 60000);
            }).then(schedule);
          }
          document.addEventListener("visibilitychange", function () {
            if (document.visibilityState === "visible") { delay = 0; schedule(); delay = 5000; } else clearTimeout(timer);
          });
          schedule();
        })();
        """#
}
