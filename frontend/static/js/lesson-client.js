/* The live lesson's socket, for the room pages (the protocol: realtime/protocol.py).

   new LessonClient({url, status, text, onSnapshot, onEvent, onEphemeral, onStatus, onError})
   - url: "/ws/lessons/<id>/" (the page's own host; the browser sends the session cookie).
   - onSnapshot(state, seq): the lesson as it is; replaces whatever the page showed.
   - onEvent(frame): an event ({seq, type, at, data}), live or replayed; each is given once,
     in order (an event at or below the last number applied is skipped).
   - onEphemeral(frame): what is not numbered (welcome, presence, roster, reactions).
   - onStatus(state, detail): "connecting", "live", "reconnecting" (detail: seconds left),
     "offline", "stopped" (detail: the close code).
   - onError(frame): an error frame that answers no message of this page.
   - status: an element (role="status") that shows the state, in the words of text.
   client.send(type, fields) -> Promise: resolved with the acknowledgement, rejected with the
   error frame. A message keeps its id until it is acknowledged: sent again after a
   reconnection, it is applied once by the server.
   client.sendNow(type, fields): a message without id (a reaction), dropped when not live. */
(function () {
  "use strict";

  var STOP_CODES = [4401, 4403, 4404, 4410]; // not signed in, not allowed, no lesson, cancelled
  var FIRST_DELAY = 500; // ms before the first try again, doubled each time ...
  var MOST_DELAY = 15000; // ... up to this
  var PING_EVERY = 25000; // keeps the link open through proxies that close quiet sockets
  var ANSWER_WAIT = 10000; // no frame this long after a ping: the link is dead
  var RESEND_AFTER = 10000; // a message without an answer this long is sent again (same id)
  var TICK = 1000;

  function prefix() {
    var bytes = new Uint8Array(6);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b % 36).toString(36); }).join("");
  }

  function fill(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (all, name) {
      return name in values ? values[name] : all;
    });
  }

  function noop() {}

  function LessonClient(options) {
    this.options = options;
    this.text = options.text || {};
    this.seq = null; // the number of the last event applied; null before the first snapshot
    this.at = null; // that event's "at": the server checks it is still the log's event seq
    this.pending = new Map(); // id -> {text, resolve, reject, sentAt}
    this.prefix = prefix();
    this.counter = 0;
    this.attempt = 0;
    this.socket = null;
    this.live = false;
    this.stopped = false;
    this.retryAt = 0;
    this.retryTimer = null;
    this.nextPing = 0; // when the next ping goes out
    this.pingSent = 0; // when a ping went out that nothing has come after yet
    this.state = "";
    var self = this;
    window.addEventListener("online", function () { self.wake(); });
    window.addEventListener("offline", function () { self.drop(true); });
    this.ticker = window.setInterval(function () { self.tick(); }, TICK);
    this.connect();
  }

  LessonClient.prototype.address = function () {
    var url = this.options.url;
    if (url.charAt(0) === "/") {
      url = (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + url;
    }
    if (this.seq !== null) {
      url += (url.indexOf("?") < 0 ? "?" : "&") + "since=" + this.seq;
      if (this.at) {
        url += "&at=" + encodeURIComponent(this.at);
      }
    }
    return url;
  };

  LessonClient.prototype.connect = function () {
    window.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.stopped) {
      return;
    }
    if (navigator.onLine === false) {
      this.setState("offline");
      return;
    }
    this.setState("connecting");
    var self = this;
    var socket;
    try {
      socket = new WebSocket(this.address());
    } catch (error) {
      this.retry();
      return;
    }
    this.socket = socket;
    this.live = false;
    this.pingSent = 0;
    socket.onmessage = function (message) {
      if (socket === self.socket) {
        self.receive(message.data);
      }
    };
    socket.onclose = function (event) {
      if (socket === self.socket) {
        self.closed(event.code);
      }
    };
  };

  // The link is gone (the browser went offline, or no answer to a ping): close and go on.
  LessonClient.prototype.drop = function (offline) {
    var socket = this.socket;
    this.socket = null;
    this.live = false;
    if (socket) {
      socket.onmessage = socket.onclose = null;
      try { socket.close(); } catch (error) { /* closed already */ }
    }
    if (this.stopped) {
      return;
    }
    if (offline || navigator.onLine === false) {
      window.clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.setState("offline");
    } else {
      this.retry();
    }
  };

  LessonClient.prototype.wake = function () {
    if (this.stopped || this.socket) {
      return;
    }
    this.attempt = 0;
    this.connect();
  };

  LessonClient.prototype.closed = function (code) {
    this.socket = null;
    this.live = false;
    if (STOP_CODES.indexOf(code) >= 0) {
      this.stopped = true;
      window.clearTimeout(this.retryTimer);
      var pending = this.pending;
      this.pending = new Map();
      pending.forEach(function (entry) { entry.reject({type: "error", code: "stopped"}); });
      this.setState("stopped", code);
      return;
    }
    if (navigator.onLine === false) {
      this.setState("offline");
      return;
    }
    this.retry();
  };

  LessonClient.prototype.retry = function () {
    var delay = Math.min(MOST_DELAY, FIRST_DELAY * Math.pow(2, this.attempt));
    delay = delay / 2 + Math.random() * delay / 2; // jitter: a room's phones do not all come back at once
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    var self = this;
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(function () { self.connect(); }, delay);
    this.showCountdown();
  };

  LessonClient.prototype.showCountdown = function () {
    var seconds = Math.max(1, Math.ceil((this.retryAt - Date.now()) / 1000));
    this.setState("reconnecting", seconds);
  };

  LessonClient.prototype.tick = function () {
    var now = Date.now();
    if (this.retryTimer) {
      this.showCountdown();
    }
    if (!this.live || !this.socket) {
      return;
    }
    if (this.pingSent && now - this.pingSent > ANSWER_WAIT) {
      this.drop(false); // nothing came after the ping: the link is dead, though nobody said so
      return;
    }
    if (now >= this.nextPing) {
      this.nextPing = now + PING_EVERY;
      this.pingSent = this.pingSent || now;
      this.write(JSON.stringify({type: "ping"}));
    }
    var self = this;
    this.pending.forEach(function (entry) {
      if (entry.sentAt && now - entry.sentAt > RESEND_AFTER) {
        self.flush(entry);
      }
    });
  };

  LessonClient.prototype.write = function (text) {
    if (this.socket && this.socket.readyState === 1) {
      this.socket.send(text);
      return true;
    }
    return false;
  };

  LessonClient.prototype.flush = function (entry) {
    if (this.live && this.write(entry.text)) {
      entry.sentAt = Date.now();
    }
  };

  LessonClient.prototype.receive = function (text) {
    var frame;
    try {
      frame = JSON.parse(text);
    } catch (error) {
      return;
    }
    this.pingSent = 0; // the link is alive
    var on = this.options;
    var entry;
    switch (frame.type) {
      case "snapshot":
        this.seq = frame.seq;
        this.at = frame.at || null;
        (on.onSnapshot || noop)(frame.state, frame.seq);
        this.synced();
        return;
      case "synced":
        if (this.seq === null || frame.seq > this.seq) {
          this.seq = frame.seq;
          this.at = frame.at || null;
        }
        this.synced();
        return;
      case "ack":
        entry = this.pending.get(frame.id);
        if (entry) {
          this.pending.delete(frame.id);
          entry.resolve(frame);
        }
        return;
      case "error":
        entry = frame.id ? this.pending.get(frame.id) : null;
        if (entry) {
          this.pending.delete(frame.id);
          entry.reject(frame);
        } else if (frame.code === "rate_limited") {
          this.later(); // which message was refused is not said: every unanswered one goes again
        } else {
          (on.onError || noop)(frame);
        }
        return;
      case "pong":
        return;
      default:
        if (typeof frame.seq === "number" && frame.seq > 0) {
          if (this.seq !== null && frame.seq <= this.seq) {
            return; // had it already (in the snapshot, or replayed)
          }
          this.seq = frame.seq;
          this.at = frame.at || null;
          (on.onEvent || noop)(frame);
        } else {
          (on.onEphemeral || noop)(frame);
        }
    }
  };

  LessonClient.prototype.later = function () {
    var self = this;
    window.setTimeout(function () {
      self.pending.forEach(function (entry) { self.flush(entry); });
    }, 1500 + Math.random() * 1000);
  };

  LessonClient.prototype.synced = function () {
    this.live = true;
    this.nextPing = Date.now() + PING_EVERY;
    this.attempt = 0;
    this.setState("live");
    var self = this;
    this.pending.forEach(function (entry) { self.flush(entry); });
  };

  LessonClient.prototype.setState = function (state, detail) {
    var changed = state !== this.state || state === "reconnecting";
    this.state = state;
    var element = this.options.status;
    if (element) {
      var words = state === "stopped" ? this.text["stopped_" + detail] : this.text[state];
      element.textContent = fill(words || state, {seconds: detail});
      element.setAttribute("data-state", state);
    }
    if (changed) {
      (this.options.onStatus || noop)(state, detail);
    }
  };

  LessonClient.prototype.send = function (type, fields) {
    var self = this;
    this.counter += 1;
    var id = this.prefix + "-" + this.counter;
    var message = Object.assign({}, fields || {}, {type: type, id: id});
    return new Promise(function (resolve, reject) {
      if (self.stopped) {
        reject({type: "error", code: "stopped"});
        return;
      }
      var entry = {text: JSON.stringify(message), resolve: resolve, reject: reject, sentAt: 0};
      self.pending.set(id, entry);
      self.flush(entry);
    });
  };

  LessonClient.prototype.sendNow = function (type, fields) {
    return this.live && this.write(JSON.stringify(Object.assign({}, fields || {}, {type: type})));
  };

  LessonClient.fill = fill;
  window.LessonClient = LessonClient;
})();
