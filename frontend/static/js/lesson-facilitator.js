/* The projector view of a spoke classroom: the slide and the whiteboard large, the room's
   check-in code, the class with a check-in button per pupil, a question from the room passed
   on to the teacher, the chat. An observer (who runs the school) sees it without controls. */
(function () {
  "use strict";
  var Room = window.Room;
  var T = Room.text;
  var $ = Room.$;
  var runs = Room.config.role === "facilitator";

  // A facilitator may run several rooms of one lesson: they say which one they are in now.
  function chosen(s) {
    var codes = s.codes || [];
    var choice = $("room-choice");
    var id = choice && choice.value ? Number(choice.value) : null;
    return codes.filter(function (code) { return code.room_id === id; })[0] || codes[0] || null;
  }

  function myRoom(s) {
    var code = chosen(s);
    return code ? code.room : null;
  }

  function roomField(s) {
    var code = chosen(s);
    return (s.codes || []).length > 1 && code ? {room_id: code.room_id} : {};
  }

  Room.renderers.push(function (changed, s) {
    var box = $("codes");
    if (!changed.codes || !box) {
      return;
    }
    box.textContent = "";
    (s.codes || []).forEach(function (code) {
      box.appendChild(Room.el("p", {className: "room-code"}, [
        Room.el("span", {textContent: code.room}),
        Room.el("strong", {className: "code-big", textContent: code.code})
      ]));
    });
    var choice = $("room-choice");
    if (choice) {
      var kept = choice.value;
      choice.textContent = "";
      (s.codes || []).forEach(function (code) {
        choice.appendChild(Room.el("option", {value: String(code.room_id), textContent: code.room}));
      });
      if (kept) {
        choice.value = kept;
      }
      $("room-choice-line").hidden = (s.codes || []).length < 2;
    }
  });

  if (runs) {
    Room.rosterExtra = function (row) {
      if (row.room && row.room === myRoom(Room.state)) {
        return Room.el("span", {className: "here", textContent: "✓ " + T.here});
      }
      return Room.button(T.check_in, function () {
        var fields = roomField(Room.state);
        fields.student_id = row.id;
        Room.send("checkin", fields);
      });
    };
    Room.chatSetup("relay-form", "relay-text", "question.relay", function () {
      return roomField(Room.state);
    });
    $("room-choice").addEventListener("change", function () {
      Room.render(["roster"]);
    });
    Room.renderers.push(function (changed) {
      var form = $("relay-form");
      if (form && changed.lesson) {
        Array.prototype.forEach.call(form.elements, function (field) { field.disabled = !Room.live(); });
      }
    });
  }

  Room.start();
})();
