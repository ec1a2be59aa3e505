/* The teacher's console: start and end the lesson, upload the deck and move through it, draw
   on the whiteboard, run a poll, take the hands in order, keep the chat in order. */
(function () {
  "use strict";
  var Room = window.Room;
  var T = Room.text;
  var $ = Room.$;
  var BATCH_MS = 150; // strokes are sent together at most this often
  var MOST_POINTS = 400; // a longer stroke is sent in pieces (the server takes up to 500)
  var MOST_STROKES = 50; // strokes in one message

  // --- the lesson ----------------------------------------------------------------------------
  $("lesson-start").addEventListener("click", function () { Room.send("lesson.start"); });
  $("lesson-end").addEventListener("click", function () {
    if (window.confirm(T.confirm_end)) {
      Room.send("lesson.end");
    }
  });

  // --- slides --------------------------------------------------------------------------------
  function position() {
    var slide = Room.state && Room.state.slide;
    return slide ? slide.position : -1;
  }

  $("slide-prev").addEventListener("click", function () {
    if (position() > 0) {
      Room.send("slide.show", {position: position() - 1});
    }
  });
  $("slide-next").addEventListener("click", function () {
    if (position() + 1 < Room.state.slides) {
      Room.send("slide.show", {position: position() + 1});
    }
  });

  function uploadSetup(form) {
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData) {
        return; // the form is sent as a page
      }
      event.preventDefault();
      var status = form.querySelector(".upload-status");
      var submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      status.textContent = T.uploading;
      window.fetch(form.action, {
        method: "POST",
        body: new window.FormData(form),
        credentials: "same-origin",
        headers: {"HX-Request": "true"}
      }).then(function (response) {
        return response.text();
      }).then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#slides-form");
        if (!fresh) {
          throw new Error("no form");
        }
        form.replaceWith(fresh);
        uploadSetup(fresh);
        var done = fresh.querySelector("[data-count]");
        if (done && Room.state) {
          Room.state.slides = parseInt(done.getAttribute("data-count"), 10);
          Room.state.slide = null;
          Room.deck = "u" + Date.now();
          Room.render(["slide"]);
        }
      }).catch(function () {
        submit.disabled = false;
        status.textContent = "";
        form.submit(); // as a page, then: the answer is shown there
      });
    });
  }
  uploadSetup($("slides-form"));

  Room.renderers.push(function (changed, s) {
    var live = Room.live();
    if (changed.lesson) {
      $("lesson-start").hidden = s.lesson.state !== "scheduled";
      $("lesson-end").hidden = s.lesson.state !== "live";
      $("board-tools").hidden = !live;
    }
    if (changed.slide || changed.lesson) {
      $("slide-prev").disabled = !live || position() <= 0;
      $("slide-next").disabled = !live || position() + 1 >= s.slides;
      $("slides-count").textContent = Room.fill(T.slides_count, {count: s.slides});
    }
  });

  // --- the whiteboard ------------------------------------------------------------------------
  var canvas = $("board");
  var current = null; // the stroke being drawn
  var outbox = []; // strokes drawn and not sent yet

  function pen() {
    var colour = document.querySelector("input[name=pen-colour]:checked");
    return {color: colour ? colour.value : "#1d2330", width: parseInt($("pen-width").value, 10) || 4};
  }

  function cut() {
    // what is drawn of the current stroke goes out; the stroke goes on from its last point
    if (current && current.points.length > 1) {
      outbox.push(current);
      var last = current.points[current.points.length - 1];
      current = {color: current.color, width: current.width, points: [last]};
    }
  }

  canvas.addEventListener("pointerdown", function (event) {
    if (!Room.live() || !Room.board) {
      return;
    }
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    var style = pen();
    current = {color: style.color, width: style.width, points: [Room.board.point(event)]};
    Room.board.local.push(current);
    Room.board.stroke(current);
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!current) {
      return;
    }
    var point = Room.board.point(event);
    var last = current.points[current.points.length - 1];
    if (point[0] === last[0] && point[1] === last[1]) {
      return;
    }
    current.points.push(point);
    Room.board.stroke({color: current.color, width: current.width, points: [last, point]});
    if (current.points.length >= MOST_POINTS) {
      cut();
      Room.board.local.push(current);
    }
  });
  function penUp() {
    if (current) {
      outbox.push(current);
      current = null;
    }
  }
  canvas.addEventListener("pointerup", penUp);
  canvas.addEventListener("pointercancel", penUp);

  window.setInterval(function () {
    if (current) {
      cut();
      Room.board.local.push(current);
    }
    if (!outbox.length) {
      return;
    }
    var strokes = outbox.splice(0, MOST_STROKES);
    Room.send("board.strokes", {strokes: strokes}).then(
      function (ack) { Room.board.sent(strokes, ack.seq); },
      function () { Room.board.sent(strokes, null); }
    );
  }, BATCH_MS);

  $("board-clear").addEventListener("click", function () {
    if (window.confirm(T.confirm_clear)) {
      Room.send("board.clear");
    }
  });

  // --- polls ---------------------------------------------------------------------------------
  var pollForm = $("poll-form");
  $("poll-more").addEventListener("click", function () {
    var hidden = pollForm.querySelector("input[name=option][hidden]");
    if (hidden) {
      hidden.hidden = false;
      hidden.focus();
    }
    $("poll-more").hidden = !pollForm.querySelector("input[name=option][hidden]");
  });
  pollForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var options = Array.prototype.map.call(
      pollForm.querySelectorAll("input[name=option]"),
      function (input) { return input.value.trim(); }
    ).filter(Boolean);
    Room.send("poll.open", {
      question: $("poll-question").value.trim(),
      options: options,
      multiple: $("poll-multiple").checked
    }).then(function () { pollForm.reset(); });
  });
  $("poll-close").addEventListener("click", function () {
    Room.send("poll.close", {poll_id: Room.state.poll.id});
  });
  $("poll-share").addEventListener("click", function () {
    Room.send("poll.share", {poll_id: Room.state.poll.id});
  });

  Room.renderers.push(function (changed, s) {
    if (!changed.poll && !changed.lesson) {
      return;
    }
    var poll = s.poll;
    var open = Boolean(poll && poll.state === "open");
    pollForm.hidden = open;
    Array.prototype.forEach.call(pollForm.elements, function (field) { field.disabled = !Room.live(); });
    $("poll-results").hidden = !poll;
    if (!poll) {
      return;
    }
    $("poll-shown").textContent = poll.question;
    Room.pollBars($("poll-bars"), poll);
    $("poll-answered").textContent = Room.fill(T.answered, {count: poll.answered || 0});
    $("poll-state").textContent = [poll.state === "closed" ? T.poll_closed : "", poll.shared ? T.poll_shared : ""].join(" ");
    $("poll-close").hidden = !open;
    $("poll-share").hidden = poll.shared;
  });

  // --- hands, chat, roster -------------------------------------------------------------------
  Room.handExtra = function (hand) {
    return Room.button(T.take, function () { Room.send("hand.lower", {user_id: hand.user.id}); });
  };
  Room.chatExtra = function (message) {
    return Room.button(T.delete, function () { Room.send("chat.delete", {message_id: message.id}); }, "small secondary");
  };
  Room.rosterExtra = function (row) {
    return Room.button(row.muted ? T.unmute : T.mute, function () {
      Room.send("chat.mute", {user_id: row.id, muted: !row.muted});
    }, "small secondary");
  };

  Room.start();
})();
