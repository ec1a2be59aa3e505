/* The countdown of a quiz page. The server decides the time: the page gives the seconds left
   until the deadline it computed, and this only shows them going down. When none are left, the
   answers are sent and the attempt is handed in (the server hands it in anyway). */
(function () {
  "use strict";
  var clock = document.getElementById("clock");
  var form = document.getElementById("quiz-form");
  if (!clock || !form) {
    return;
  }
  var secondsLeft = parseInt(clock.getAttribute("data-seconds-left"), 10);
  if (isNaN(secondsLeft)) {
    return;
  }
  var left = clock.querySelector(".left");
  var value = clock.querySelector(".left-value");
  var started = performance.now();
  var timer = null;

  function twoDigits(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function handIn() {
    var action = document.createElement("input");
    action.type = "hidden";
    action.name = "action";
    action.value = "finish";
    form.appendChild(action);
    form.submit();
  }

  function tick() {
    var remaining = Math.max(0, secondsLeft - Math.floor((performance.now() - started) / 1000));
    var hours = Math.floor(remaining / 3600);
    var minutes = Math.floor((remaining % 3600) / 60);
    var seconds = remaining % 60;
    if (value) {
      value.textContent = (hours ? hours + ":" + twoDigits(minutes) : minutes) + ":" + twoDigits(seconds);
    }
    if (remaining <= 60) {
      clock.classList.add("soon");
    }
    if (remaining === 0) {
      window.clearInterval(timer);
      clock.classList.add("over");
      handIn();
    }
  }

  if (left) {
    left.hidden = false;
  }
  tick();
  timer = window.setInterval(tick, 1000);
})();
