/* The pupil's room: the slide and the whiteboard, the hand, the poll, reactions, checking in
   with a classroom's code, the chat. */
(function () {
  "use strict";
  var Room = window.Room;
  var T = Room.text;
  var $ = Room.$;
  var shownPoll = null; // the id of the poll whose answers are on the page

  // --- the hand ------------------------------------------------------------------------------
  $("hand").addEventListener("click", function () {
    Room.send(Room.state.hand ? "hand.lower" : "hand.raise");
  });

  // --- checking in with a classroom's code ---------------------------------------------------
  $("checkin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var code = $("checkin-code").value.trim();
    if (code) {
      Room.send("checkin.code", {code: code});
    }
  });

  // --- reactions: one every two seconds ------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("button.react"), function (node) {
    node.addEventListener("click", function () {
      if (Room.client.sendNow("react", {emoji: node.getAttribute("data-emoji")})) {
        node.classList.add("sent");
        window.setTimeout(function () { node.classList.remove("sent"); }, 2000);
      }
    });
  });

  // --- the poll ------------------------------------------------------------------------------
  var form = $("poll-answer");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var poll = Room.state.poll;
    var choices = Array.prototype.filter.call(form.querySelectorAll("input[name=choice]"), function (input) {
      return input.checked;
    }).map(function (input) { return parseInt(input.value, 10); });
    if (!poll || !choices.length) {
      return;
    }
    Room.send("poll.answer", {poll_id: poll.id, choices: choices}).then(function () {
      if (Room.state.poll && Room.state.poll.id === poll.id) {
        Room.state.poll.mine = choices;
        Room.render(["poll"]);
      }
    });
  });

  function showOptions(poll) {
    var box = $("poll-options");
    box.textContent = "";
    $("poll-question").textContent = poll.question;
    poll.options.forEach(function (option, index) {
      var input = Room.el("input", {
        type: poll.multiple ? "checkbox" : "radio",
        name: "choice",
        value: String(index),
        checked: (poll.mine || []).indexOf(index) >= 0
      });
      box.appendChild(Room.el("label", {className: "option"}, [input, Room.el("span", {textContent: option})]));
    });
    shownPoll = poll.id;
  }

  // --- showing it ----------------------------------------------------------------------------
  Room.renderers.push(function (changed, s) {
    var live = Room.live();
    if (changed.me || changed.lesson) {
      var hand = $("hand");
      hand.textContent = s.hand ? T.lower_hand : T.raise_hand;
      hand.setAttribute("aria-pressed", s.hand ? "true" : "false");
      hand.disabled = !live && !s.hand;
      $("hand-note").textContent = s.hand ? T.your_hand_up : "";
      var checked = s.checked_in;
      $("checkin-form").hidden = Boolean(checked);
      $("checked-in").hidden = !checked;
      $("checked-in").textContent = checked ? Room.fill(T.checked_in, {room: checked.room}) : "";
      Array.prototype.forEach.call(document.querySelectorAll("button.react"), function (node) {
        node.disabled = !live;
      });
    }
    if (changed.poll || changed.lesson) {
      var poll = s.poll;
      var card = $("poll-card");
      card.hidden = !poll || (poll.state === "closed" && !poll.shared);
      if (card.hidden) {
        return;
      }
      if (shownPoll !== poll.id) {
        showOptions(poll);
      }
      var open = poll.state === "open" && live;
      Array.prototype.forEach.call(form.elements, function (field) { field.disabled = !open; });
      $("poll-note").textContent = poll.state === "closed" ? T.poll_closed : poll.mine ? T.answer_sent : "";
      var bars = $("poll-bars");
      bars.hidden = !poll.shared;
      $("poll-answered").textContent = poll.shared ? Room.fill(T.answered, {count: poll.answered || 0}) : "";
      if (poll.shared) {
        Room.pollBars(bars, poll);
      }
    }
  });

  Room.start();
})();
