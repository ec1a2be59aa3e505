/* The projector view of a spoke classroom: the slide and the whiteboard large, the room's
   check-in code, the class with a check-in button per pupil, a question from the room passed
   on to the teacher, the chat. An observer (who runs the school) sees it without controls. */
(function () {
  "use strict";
  var Room = window.Room;
  var T = Room.text;
  var $ = Room.$;
  var runs = Room.config.role === "facilitator";

  function myRoom(s) {
    return s.codes && s.codes.length ? s.codes[0].room : null;
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
  });

  if (runs) {
    Room.rosterExtra = function (row) {
      if (row.room && row.room === myRoom(Room.state)) {
        return Room.el("span", {className: "here", textContent: "✓ " + T.here});
      }
      return Room.button(T.check_in, function () {
        Room.send("checkin", {student_id: row.id});
      });
    };
    Room.chatSetup("relay-form", "relay-text", "question.relay");
    Room.renderers.push(function (changed) {
      var form = $("relay-form");
      if (form && changed.lesson) {
        Array.prototype.forEach.call(form.elements, function (field) { field.disabled = !Room.live(); });
      }
    });
  }

  Room.start();
})();
