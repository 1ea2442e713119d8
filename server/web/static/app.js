// rnn-grader pages (teacher and student): live refresh, and this computer's clock as a tooltip on times. The
// pages work without this file.
(function () {
  "use strict";
  var POLL_MS = 2000;

  // A time shows as the server wrote it (the course's zone, its offset, relative to now: the same as the CLI);
  // hovering it shows the same moment on this computer's clock, with its zone.
  function localizeTimes(root) {
    var fmt;
    try {
      fmt = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
        year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
        timeZoneName: "short"
      });
    } catch (e) { return; }
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) { el.title = fmt.format(d); }
    });
  }

  function rowKeys(root) {
    var keys = {};
    root.querySelectorAll("tr[data-student]").forEach(function (tr) { keys[tr.dataset.student] = tr.dataset.key; });
    return keys;
  }

  // Text typed into a form and not sent yet: a reload would throw it away.
  function unsent() {
    var fields = document.querySelectorAll("form textarea, form input[type=text], form input[type=number]");
    return Array.prototype.some.call(fields, function (el) { return el.value !== el.defaultValue; });
  }

  function start() {
    document.documentElement.classList.add("js");
    // A page rendered in answer to a form (a draft back after signing in) names its own address: show that,
    // so that a reload is a plain GET of the page, not the form sent again.
    var here = document.querySelector('meta[name="rnn-grader-url"]');
    if (here && window.history.replaceState) { window.history.replaceState(null, "", here.content); }
    localizeTimes(document);
    var live = document.getElementById("live");
    if (!live || !window.fetch || live.dataset.done) { return; }
    var badge = document.getElementById("live-status");
    var marker = live.dataset.marker;
    var busy = false;
    var timer = null;

    function setBadge(ok) {
      if (badge) { badge.classList.toggle("on", ok); badge.classList.toggle("off", !ok); }
    }

    function refresh(next) {
      var url = new URL(window.location.href);
      url.searchParams.set("fragment", "1");
      var rendered = next;
      return fetch(url.toString(), { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        // The fragment names the state it was rendered from (it may be newer than the poll's).
        rendered = r.headers.get("X-Live-Marker") || next;
        return r.text();
      }).then(function (html) {
        var before = rowKeys(live);
        live.innerHTML = html;
        live.dataset.marker = rendered;
        marker = rendered;
        localizeTimes(live);
        live.querySelectorAll("tr[data-student]").forEach(function (tr) {
          if (before[tr.dataset.student] !== undefined && before[tr.dataset.student] !== tr.dataset.key) {
            tr.classList.add("flash");
          }
        });
        live.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
      });
    }

    function tick() {
      var focused = document.activeElement;
      if (busy || document.hidden) { return; }
      if (focused && focused.tagName === "INPUT" && live.contains(focused)) { return; }  // do not eat typing
      busy = true;
      fetch(live.dataset.stateUrl, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        // Signed out: reload to the sign-in form, unless that would lose typed text (sending it brings the
        // sign-in form, which keeps the text: server/web/drafts.py).
        if (r.status === 401) { if (!unsent()) { window.location.reload(); } throw new Error("signed out"); }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      }).then(function (state) {
        setBadge(true);
        // The page refreshes whenever what it shows differs from the server's state, and stops polling only
        // once it shows the final state (a failed refresh is simply tried again on the next tick).
        if (state.marker !== marker) { return refresh(state.marker); }
        if (state.done && timer !== null) { window.clearInterval(timer); timer = null; }  // nothing more to come
      }).catch(function () { setBadge(false); }).then(function () { busy = false; });
    }

    setBadge(true);
    timer = window.setInterval(tick, POLL_MS);
    document.addEventListener("visibilitychange", function () { if (!document.hidden && timer !== null) { tick(); } });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
