/* The agent workspace: keyboard shortcuts, "select all" and htmx error answers.
   A static file (the CSP forbids inline script). The page works without it. */
(function () {
  "use strict";

  // htmx does not swap 4xx answers by default; ours carry the message (a field error, a
  // 409 conflict), so show them in place like a success.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 403 || status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("[data-select-all]")) {
      document.querySelectorAll('input[name="numbers"]').forEach(function (row) {
        row.checked = box.checked;
      });
    }
  });

  function typing(element) {
    if (!element) return false;
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  function first(selector) {
    return document.querySelector(selector);
  }

  function openParents(element) {
    for (var node = element.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
  }

  function moveInQueue(step) {
    var links = Array.prototype.slice.call(document.querySelectorAll("[data-queue-link]"));
    if (!links.length) return;
    var row = document.activeElement && document.activeElement.closest("[data-queue-row]");
    var index = row ? links.indexOf(row.querySelector("[data-queue-link]")) : -1;
    var next = Math.min(Math.max(index + step, 0), links.length - 1);
    links[next].focus();
    links[next].scrollIntoView({ block: "nearest" });
  }

  var pendingG = false;

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      var queue = first("[data-shortcut-queue]");
      if (key === "q" && queue) {
        window.location.href = queue.href;
        event.preventDefault();
      }
      return;
    }
    var target;
    if (key === "n" && (target = first("[data-shortcut-new]") || first("[data-new-url]"))) {
      window.location.href = target.href || target.getAttribute("data-new-url");
    } else if (key === "/" && (target = first("[data-shortcut-search]"))) {
      target.focus();
    } else if (key === "j") {
      moveInQueue(1);
    } else if (key === "k") {
      moveInQueue(-1);
    } else if (key === "x" && document.activeElement && document.activeElement.closest("[data-queue-row]")) {
      target = document.activeElement.closest("[data-queue-row]").querySelector('input[name="numbers"]');
      if (target) target.checked = !target.checked;
    } else if (key === "c" && (target = first("#record textarea[name=body]"))) {
      openParents(target);
      target.focus();
    } else if (key === "e" && (target = first("[data-shortcut-edit]"))) {
      target.click();
    } else if (key === "g") {
      pendingG = true;
      return;
    } else if (key === "?" && (target = first("[data-shortcut-help]"))) {
      target.open = !target.open;
    } else {
      return;
    }
    event.preventDefault();
  });
})();
