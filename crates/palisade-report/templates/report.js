// Filters for the Palisade HTML report: severity, guide section, namespace, suppressed, and
// text search. The page shows everything without this script; it only hides what does not match.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.hidden = false;
  var items = Array.prototype.slice.call(document.querySelectorAll("article.f"));
  var texts = items.map(function (e) { return e.textContent.toLowerCase(); });
  var objects = Array.prototype.slice.call(document.querySelectorAll("div.obj"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("section.group"));
  var owner = items.map(function (e) { return objects.indexOf(e.parentNode); });
  var groupOf = objects.map(function (o) { return groups.indexOf(o.parentNode); });
  var count = document.getElementById("shown");
  var search = form.elements.namedItem("q");
  var section = form.elements.namedItem("section");
  var namespace = form.elements.namedItem("namespace");
  var suppressed = form.elements.namedItem("suppressed");
  function apply() {
    var severities = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[name=sev]"), function (c) {
      severities[c.value] = c.checked;
    });
    var q = search.value.trim().toLowerCase();
    var sec = section.value, ns = namespace.value, sup = suppressed.checked;
    var perObject = objects.map(function () { return 0; });
    var shown = 0;
    for (var i = 0; i < items.length; i++) {
      var e = items[i], d = e.dataset;
      var ok = severities[d.sev] !== false &&
        (sec === "" || (" " + d.sec + " ").indexOf(" " + sec + " ") >= 0) &&
        (ns === "" || d.ns === ns) &&
        (sup || !e.classList.contains("sup")) &&
        (q === "" || texts[i].indexOf(q) >= 0);
      e.hidden = !ok;
      if (ok) { shown++; if (owner[i] >= 0) { perObject[owner[i]]++; } }
    }
    var perGroup = groups.map(function () { return 0; });
    for (var j = 0; j < objects.length; j++) {
      objects[j].hidden = perObject[j] === 0;
      if (groupOf[j] >= 0) { perGroup[groupOf[j]] += perObject[j]; }
    }
    for (var k = 0; k < groups.length; k++) { groups[k].hidden = perGroup[k] === 0; }
    count.textContent = shown + " of " + items.length + " findings shown";
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });
  Array.prototype.forEach.call(document.querySelectorAll("a[data-section]"), function (a) {
    a.addEventListener("click", function () { section.value = a.dataset.section; apply(); });
  });
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });
  window.palisadeApply = apply;
  apply();
})();
