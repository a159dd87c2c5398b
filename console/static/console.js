// reportgate admin console: progressive enhancements only. Every page works
// without this file; it adds copy-to-clipboard for a revealed key and
// filters the entity list as one types.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Copy the revealed key. The button is hidden until this script shows it.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    var field = document.getElementById(btn.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!field) return;
    btn.hidden = false;
    if (status) status.textContent = "Copy it now: it will not be shown again.";
    btn.addEventListener("click", function () {
      field.select();
      var done = function () {
        btn.textContent = "Copied";
        if (status) status.textContent = "Copied to the clipboard. Paste it somewhere safe before you close this page.";
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });

  // Filter the entity list as one types; the Search button still works.
  document.querySelectorAll("[data-filter-list]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-filter-list"));
    if (!list) return;
    var filter = function () {
      var q = input.value.trim().toLowerCase();
      list.querySelectorAll("li[data-name]").forEach(function (li) {
        var box = li.querySelector("input");
        var match = li.getAttribute("data-name").toLowerCase().indexOf(q) >= 0;
        li.hidden = !(match || (box && box.checked));
      });
    };
    input.addEventListener("input", filter);
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); filter(); }
    });
  });

  // Keep the "N selected" count current.
  var count = document.querySelector("[data-selected-count]");
  if (count) {
    var boxes = document.querySelectorAll("input[name=entity]");
    var update = function () {
      var n = 0;
      boxes.forEach(function (b) { if (b.checked) n++; });
      count.textContent = n + " selected";
    };
    boxes.forEach(function (b) { b.addEventListener("change", update); });
  }
});
