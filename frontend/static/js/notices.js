/* Live notices for every page of a signed-in person: /ws/notifications/ (realtime/notices.py).

   The navigation's badge (#unread-count, data-unread) shows the unread count the server sends
   on connecting, and counts up as notices arrive; each new notice also appears for a while in
   the page's notice area (#live-notices, a polite live region), linked to what it is about.
   Reconnects with a growing pause; gives up on 4401/4403 (signed out). Pages work without it:
   the badge is rendered by the server, the list is at /notifications/. */
(function () {
  "use strict";

  var STOP_CODES = [4401, 4403];
  var FIRST_DELAY = 1000;
  var MOST_DELAY = 60000;
  var PING_EVERY = 25000;
  var SHOW_FOR = 12000;

  var badge = document.getElementById("unread-count");
  if (!badge || !("WebSocket" in window)) {
    return;
  }
  var area = document.getElementById("live-notices");
  var delay = FIRST_DELAY;
  var pinger = null;

  function setCount(count) {
    badge.setAttribute("data-unread", String(count));
    badge.textContent = count > 0 ? String(count) : "";
    badge.hidden = count <= 0;
  }

  function show(notice) {
    if (!area) {
      return;
    }
    var item = document.createElement("p");
    item.className = "live-notice";
    var link = document.createElement("a");
    link.textContent = notice.title;
    // Only the site's own paths: a notice never sends anyone elsewhere.
    link.href = /^\/(?!\/)/.test(notice.link || "") ? "/notifications/" + notice.id + "/open/" : "/notifications/";
    item.appendChild(link);
    area.appendChild(item);
    window.setTimeout(function () { item.remove(); }, SHOW_FOR);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    // Titles come written in the page's language.
    var lang = encodeURIComponent(document.documentElement.lang || "");
    var socket = new WebSocket(scheme + window.location.host + "/ws/notifications/?lang=" + lang);
    socket.onopen = function () {
      delay = FIRST_DELAY;
      pinger = window.setInterval(function () {
        if (socket.readyState === WebSocket.OPEN) {
          socket.send(JSON.stringify({type: "ping"}));
        }
      }, PING_EVERY);
    };
    socket.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (frame.type === "notices.hello") {
        setCount(frame.unread);
      } else if (frame.type === "notice") {
        setCount(Number(badge.getAttribute("data-unread") || 0) + 1);
        show(frame);
      }
    };
    socket.onclose = function (event) {
      window.clearInterval(pinger);
      if (STOP_CODES.indexOf(event.code) !== -1) {
        return;
      }
      window.setTimeout(connect, delay + Math.random() * delay / 2);
      delay = Math.min(delay * 2, MOST_DELAY);
    };
  }

  connect();
})();
