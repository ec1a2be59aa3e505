/* What the three room pages share: the lesson's state (a snapshot, then events), and showing
   it: the lesson's state, the pupils present, the slide, the whiteboard, the chat, the hands,
   the roster and a poll's results. Each page's own script adds its controls through the hooks
   (Room.renderers, Room.chatExtra, Room.handExtra, Room.rosterExtra), then calls Room.start(). */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("room-config").textContent);
  var T = config.text;
  var fill = window.LessonClient.fill;
  var BOARD = 10000; // whiteboard coordinates run from 0 to this on both axes
  var CHAT_KEPT = 200;

  function $(id) {
    return document.getElementById(id);
  }

  // el("li", {className: "x", dataset: {id: 1}}, ["text", node])
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === "dataset") {
        Object.keys(props.dataset).forEach(function (name) { node.dataset[name] = props.dataset[name]; });
      } else {
        node[key] = props[key];
      }
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined && child !== false) {
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  function button(label, onClick, className) {
    var node = el("button", {type: "button", className: className || "small", textContent: label});
    node.addEventListener("click", onClick);
    return node;
  }

  function clock(iso) {
    try {
      return new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined, {
        hour: "2-digit",
        minute: "2-digit"
      });
    } catch (error) {
      return "";
    }
  }

  // --- the whiteboard ------------------------------------------------------------------------
  function Board(canvas) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.local = []; // strokes drawn on this page and not yet back from the server
    this.waiting = {}; // event number -> local strokes that event brings back
    var self = this;
    window.addEventListener("resize", function () { self.fit(); });
    this.fit();
  }

  Board.prototype.fit = function () {
    var width = this.canvas.clientWidth || 320;
    var height = Math.round(width * 9 / 16);
    var ratio = window.devicePixelRatio || 1;
    this.canvas.style.height = height + "px";
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.redraw();
  };

  Board.prototype.stroke = function (stroke) {
    var context = this.context;
    var sx = this.canvas.width / BOARD;
    var sy = this.canvas.height / BOARD;
    var points = stroke.points;
    context.strokeStyle = context.fillStyle = stroke.color;
    context.lineWidth = Math.max(1, stroke.width * this.canvas.width / 1000);
    context.lineCap = context.lineJoin = "round";
    context.beginPath();
    if (points.length === 1) {
      context.arc(points[0][0] * sx, points[0][1] * sy, context.lineWidth / 2, 0, 2 * Math.PI);
      context.fill();
      return;
    }
    context.moveTo(points[0][0] * sx, points[0][1] * sy);
    for (var i = 1; i < points.length; i += 1) {
      context.lineTo(points[i][0] * sx, points[i][1] * sy);
    }
    context.stroke();
  };

  Board.prototype.draw = function (strokes) {
    for (var i = 0; i < strokes.length; i += 1) {
      this.stroke(strokes[i]);
    }
  };

  // The strokes of a message of this page: they stop being local once their event is applied
  // (at once if it was; it may come before or after the acknowledgement).
  Board.prototype.sent = function (strokes, seq) {
    if (seq !== null && seq !== undefined && !(Room.client.seq !== null && Room.client.seq >= seq)) {
      this.waiting[seq] = strokes;
      return;
    }
    this.forget(strokes);
    this.redraw();
  };

  Board.prototype.settle = function (seq) {
    var strokes = this.waiting[seq];
    if (strokes) {
      delete this.waiting[seq];
      this.forget(strokes);
    }
  };

  Board.prototype.forget = function (strokes) {
    this.local = this.local.filter(function (stroke) { return strokes.indexOf(stroke) < 0; });
  };

  Board.prototype.redraw = function () {
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (Room.state) {
      this.draw(Room.state.board || []);
    }
    this.draw(this.local);
  };

  // A point of a pointer event, in board coordinates.
  Board.prototype.point = function (event) {
    var box = this.canvas.getBoundingClientRect();
    function scale(value, size) {
      return Math.max(0, Math.min(BOARD, Math.round((value / (size || 1)) * BOARD)));
    }
    return [scale(event.clientX - box.left, box.width), scale(event.clientY - box.top, box.height)];
  };

  // --- the room ------------------------------------------------------------------------------
  var Room = {
    config: config,
    text: T,
    fill: fill,
    el: el,
    button: button,
    $: $,
    clock: clock,
    state: null,
    client: null,
    board: null,
    deck: config.deck,
    renderers: [],
    chatExtra: null,
    handExtra: null,
    rosterExtra: null
  };

  Room.live = function () {
    return Boolean(Room.state && Room.state.lesson.state === "live");
  };

  Room.slideUrl = function (position) {
    return config.slide.replace("{position}", String(position)) + "?v=" + encodeURIComponent(Room.deck);
  };

  var errorTimer = null;
  Room.fail = function (frame) {
    var box = $("room-error");
    if (!box || !frame) {
      return;
    }
    var words = T["error_" + frame.code] || fill(T.error, {message: frame.message || frame.code});
    box.textContent = words;
    box.hidden = false;
    window.clearTimeout(errorTimer);
    errorTimer = window.setTimeout(function () { box.hidden = true; }, 8000);
  };

  Room.send = function (type, fields) {
    var sent = Room.client.send(type, fields);
    sent.catch(Room.fail);
    return sent;
  };

  Room.render = function (parts) {
    if (!Room.state) {
      return;
    }
    var changed = {};
    parts.forEach(function (part) { changed[part] = true; });
    Room.renderers.forEach(function (render) { render(changed, Room.state); });
  };

  function rosterRow(userId) {
    var roster = Room.state.roster || [];
    for (var i = 0; i < roster.length; i += 1) {
      if (roster[i].id === userId) {
        return roster[i];
      }
    }
    return null;
  }

  function update(row, fields) {
    if (row) {
      Object.assign(row, fields);
    }
  }

  // An event changes the state; answers what it changed. Events say what now is, so applying
  // one on top of a snapshot that already holds it changes nothing.
  function apply(frame) {
    var s = Room.state;
    var d = frame.data || {};
    var me = config.me;
    var poll = s.poll;
    switch (frame.type) {
      case "lesson.started":
        s.lesson.state = "live";
        s.lesson.started_at = d.started_at;
        return ["lesson"];
      case "lesson.ended":
        s.lesson.state = "ended";
        s.lesson.ended_at = d.ended_at;
        s.hands = [];
        s.hand = false;
        (s.roster || []).forEach(function (row) { row.hand = false; });
        if (poll && poll.state === "open") {
          poll.state = "closed";
        }
        return ["lesson", "hands", "me", "poll", "roster"];
      case "lesson.cancelled":
        s.lesson.state = "cancelled";
        return ["lesson"];
      case "lesson.changed":
        Object.assign(s.lesson, d);
        return ["lesson"];
      case "slide.shown":
        s.slide = {position: d.position, count: d.count};
        s.slides = d.count;
        return ["slide"];
      case "slides.replaced":
        s.slides = d.count;
        s.slide = null;
        Room.deck = "e" + frame.seq;
        return ["slide"];
      case "poll.opened":
        s.poll = Object.assign({}, d.poll, {
          state: "open",
          shared: false,
          counts: d.poll.options.map(function () { return 0; }),
          answered: 0,
          mine: null
        });
        return ["poll"];
      case "poll.tally":
      case "poll.shared":
        if (poll && poll.id === d.poll_id) {
          poll.counts = d.counts;
          poll.answered = d.answered;
          poll.shared = poll.shared || frame.type === "poll.shared";
        }
        return ["poll"];
      case "poll.closed":
        if (poll && poll.id === d.poll_id) {
          poll.state = "closed";
        }
        return ["poll"];
      case "hand.raised":
        if (s.hands && !s.hands.some(function (hand) { return hand.user.id === d.user.id; })) {
          s.hands.push({user: d.user, at: d.at});
        }
        update(rosterRow(d.user.id), {hand: true});
        if (d.user.id === me) {
          s.hand = true;
        }
        return ["hands", "roster", "me"];
      case "hand.lowered":
        if (s.hands) {
          s.hands = s.hands.filter(function (hand) { return hand.user.id !== d.user_id; });
        }
        update(rosterRow(d.user_id), {hand: false});
        if (d.user_id === me) {
          s.hand = false;
        }
        return ["hands", "roster", "me"];
      case "chat.posted":
        if (!s.chat.some(function (message) { return message.id === frame.seq; })) {
          s.chat.push({id: frame.seq, author: d.author, text: d.text, room: d.room, at: d.at});
          if (s.chat.length > CHAT_KEPT) {
            s.chat.splice(0, s.chat.length - CHAT_KEPT);
          }
        }
        return ["chat"];
      case "chat.deleted":
        s.chat = s.chat.filter(function (message) { return message.id !== d.id; });
        return ["chat"];
      case "chat.muted":
        update(rosterRow(d.user_id), {muted: d.muted});
        if (d.user_id === me) {
          s.muted = d.muted;
        }
        return ["roster", "me", "chat"];
      case "checkin":
        update(rosterRow(d.student.id), {room: d.room.name});
        if (d.student.id === me) {
          s.checked_in = {room: d.room.name};
        }
        return ["roster", "me"];
      case "board.strokes":
        s.board = (s.board || []).concat(d.strokes);
        if (Room.board) {
          Room.board.draw(d.strokes);
          Room.board.settle(frame.seq);
        }
        return [];
      case "board.cleared":
        s.board = [];
        if (Room.board) {
          Room.board.redraw();
        }
        return [];
      default:
        return [];
    }
  }

  var reactionTimer = null;
  function ephemeral(frame) {
    if (!Room.state) {
      return;
    }
    if (frame.type === "presence") {
      Room.state.present = frame.count;
      Room.render(["present"]);
    } else if (frame.type === "roster") {
      // Who is online comes from this frame; hands, mutes and rooms come from events too, and
      // an event may have overtaken the frame: what the page has at or after the frame's
      // number is kept.
      var had = {};
      var current = Room.client ? Room.client.seq : null;
      if (current !== null && typeof frame.upto === "number" && frame.upto <= current) {
        (Room.state.roster || []).forEach(function (row) { had[row.id] = row; });
      }
      Room.state.roster = frame.students.map(function (row) {
        var known = had[row.id];
        return known ? Object.assign(row, {hand: known.hand, muted: known.muted, room: known.room}) : row;
      });
      Room.render(["roster"]);
    } else if (frame.type === "reactions") {
      var box = $("reactions");
      if (box) {
        box.textContent = Object.keys(frame.counts).map(function (emoji) {
          return emoji + " " + frame.counts[emoji];
        }).join("  ");
        box.hidden = false;
        window.clearTimeout(reactionTimer);
        reactionTimer = window.setTimeout(function () { box.hidden = true; }, 4000);
      }
    }
  }

  function snapshot(state, seq) {
    if (Room.state !== null) {
      Room.deck = "s" + seq; // came back after long: the deck may have been replaced meanwhile
    }
    Room.state = state;
    state.chat = state.chat || [];
    state.board = state.board || [];
    if (Room.board) {
      Room.board.redraw();
    }
    Room.render(["lesson", "present", "slide", "poll", "hands", "chat", "roster", "me", "codes"]);
  }

  // --- what every page shows -----------------------------------------------------------------
  Room.renderers.push(function (changed, s) {
    var node;
    if (changed.lesson && (node = $("lesson-state"))) {
      node.textContent = T["state_" + s.lesson.state] || s.lesson.state;
      node.setAttribute("data-state", s.lesson.state);
    }
    if (changed.present && (node = $("present"))) {
      node.textContent = fill(T.present, {count: s.present});
    }
    if (changed.slide) {
      showSlide(s);
    }
    if (changed.chat || changed.lesson || changed.me) {
      showChat(s);
    }
    if (changed.hands && (node = $("hands"))) {
      showHands(node, s);
    }
    if (changed.roster && (node = $("roster"))) {
      showRoster(node, s);
    }
  });

  function showSlide(s) {
    var image = $("slide-image");
    var caption = $("slide-caption");
    if (!image) {
      return;
    }
    if (s.slide === null || s.slide === undefined) {
      image.hidden = true;
      image.removeAttribute("src");
      caption.textContent = T.slide_none;
      return;
    }
    var url = Room.slideUrl(s.slide.position);
    if (image.getAttribute("src") !== url) {
      image.src = url;
    }
    image.alt = fill(T.slide_alt, {number: s.slide.position + 1});
    image.hidden = false;
    caption.textContent = fill(T.slide_of, {number: s.slide.position + 1, count: s.slides});
  }

  function showChat(s) {
    var list = $("chat");
    if (!list) {
      return;
    }
    var atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.textContent = "";
    s.chat.forEach(function (message) {
      var who = message.author || {};
      var note = message.room ? fill(T.from_room, {room: message.room})
        : (who.role === "teacher" || (s.lesson.teacher && who.id === s.lesson.teacher.id)) ? T.teacher : "";
      list.appendChild(el("li", {dataset: {id: message.id}}, [
        el("strong", {textContent: who.name || ""}),
        note ? el("small", {className: "note", textContent: " (" + note + ")"}) : null,
        " ",
        el("time", {dateTime: message.at, textContent: clock(message.at)}),
        el("span", {className: "text", textContent: message.text}),
        Room.chatExtra ? Room.chatExtra(message) : null
      ]));
    });
    if (!s.chat.length) {
      list.appendChild(el("li", {className: "empty", textContent: T.no_messages}));
    }
    if (atEnd) {
      list.scrollTop = list.scrollHeight;
    }
    var form = $("chat-form");
    if (form) {
      var closed = !Room.live() || (config.role === "student" && s.muted);
      Array.prototype.forEach.call(form.elements, function (field) { field.disabled = closed; });
      var muted = $("muted-note");
      if (muted) {
        muted.hidden = !s.muted;
      }
    }
  }

  function showHands(list, s) {
    list.textContent = "";
    (s.hands || []).forEach(function (hand) {
      list.appendChild(el("li", {dataset: {id: hand.user.id}}, [
        el("strong", {textContent: hand.user.name}),
        " ",
        el("time", {dateTime: hand.at, textContent: clock(hand.at)}),
        Room.handExtra ? Room.handExtra(hand) : null
      ]));
    });
    if (!(s.hands || []).length) {
      list.appendChild(el("li", {className: "empty", textContent: T.no_hands}));
    }
  }

  function showRoster(table, s) {
    var columns = Array.prototype.map.call(table.querySelectorAll("th[data-col]"), function (th) {
      return th.getAttribute("data-col");
    });
    var body = table.tBodies[0];
    body.textContent = "";
    (s.roster || []).forEach(function (row) {
      var online = row.online ? T.online : T.not_online;
      var cells = {
        name: [
          el("span", {className: "dot", title: online}),
          el("span", {className: "sr", textContent: online + ": "}),
          row.name
        ],
        room: [row.room || (row.online ? T.at_home : "—")],
        hand: [row.hand ? T.hand_up : ""],
        muted: [row.muted ? T.muted : ""],
        action: []
      };
      var extra = Room.rosterExtra ? Room.rosterExtra(row) : null;
      cells[columns.indexOf("action") >= 0 ? "action" : columns[columns.length - 1]].push(extra);
      body.appendChild(el("tr", {dataset: {id: row.id}, className: row.online ? "online" : "away"},
        columns.map(function (column) {
          return el("td", {className: "col-" + column}, cells[column]);
        })
      ));
    });
  }

  // The results of a poll as bars (the teacher's, and everyone's once shared).
  Room.pollBars = function (list, poll) {
    list.textContent = "";
    var most = Math.max.apply(null, [1].concat(poll.counts || []));
    poll.options.forEach(function (option, index) {
      var count = (poll.counts || [])[index] || 0;
      var bar = el("span", {className: "fill"});
      bar.style.width = Math.round((count / most) * 100) + "%";
      list.appendChild(el("li", {}, [
        el("span", {className: "option", textContent: option}),
        el("span", {className: "track"}, [bar]),
        el("b", {className: "count", textContent: String(count)})
      ]));
    });
  };

  Room.chatSetup = function (formId, inputId, type, extra) {
    var form = $(formId);
    if (!form) {
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $(inputId);
      var text = input.value.trim();
      if (!text) {
        return;
      }
      var fields = extra ? extra() : {};
      fields.text = text;
      Room.send(type, fields).then(function () {
        if (input.value.trim() === text) {
          input.value = "";
        }
      });
    });
  };

  Room.start = function () {
    var canvas = $("board");
    if (canvas && canvas.getContext) {
      Room.board = new Board(canvas);
    }
    Room.chatSetup("chat-form", "chat-text", "chat.send");
    Room.client = new window.LessonClient({
      url: config.socket,
      status: $("link-state"),
      text: T,
      onSnapshot: snapshot,
      onEvent: function (frame) {
        if (Room.state) {
          Room.render(apply(frame));
        }
      },
      onEphemeral: ephemeral,
      onError: Room.fail,
      onStatus: function (state) {
        document.body.setAttribute("data-link", state);
      }
    });
  };

  window.Room = Room;
})();
